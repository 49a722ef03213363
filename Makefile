# Operators' targets (CONTRACT.md). Everything runs from the project's own virtual environment.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# The compiled Chinese catalog, built again whenever its source changes (after a pull, say), not only at install.
CATALOG := shared/locales/zh_CN/LC_MESSAGES/district
READY := $(STAMP) $(CATALOG).mo
COMPOSE ?= docker compose
SERVICE ?=

# The operators' language: Chinese (zh_CN) by default; `make census LANG=en` (or `LANG=en make census`) speaks
# English for one run, DISTRICT_LANGUAGE=en for good. A LANG given to make itself wins over the environment's setting.
ifeq ($(origin LANG),command line)
ifneq ($(filter en% zh%,$(LANG)),)
export DISTRICT_LANGUAGE := $(LANG)
endif
endif

.PHONY: install messages licences test test-all test-faults lint dev dev-stop health training-progress asyncapi up down logs ps seed demo dlq replay-dlq bench ocds clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev,embedded]"
	$(PY) -m tools.messages --compile-only
	@touch $(STAMP)

$(CATALOG).mo: $(CATALOG).po | $(STAMP)
	$(PY) -m tools.messages --compile-only

install: $(READY) ## create .venv and install the suite with its test tools and the embedded database

messages: $(READY) ## extract the operators' messages into the catalogs, bring zh_CN up to date and compile them
	$(PY) -m tools.messages

licences: $(READY) ## the licence of every runtime dependency, from the installed packages' metadata, into the README
	$(PY) -m tools.licences --write README.md

test: $(READY) ## unit, integration and end-to-end tests against the real broker and database (bounded fault tests included)
	$(PY) -m pytest -q -p no:cacheprovider -m "not slow"

test-all: $(READY) ## every test, the long fault runs included
	$(PY) -m pytest -q -p no:cacheprovider

bench: $(READY) ## relay and database baselines, each of the five services under load, the fan-out, the district's year, matching solvers: writes bench/RESULTS.md (about an hour; `.venv/bin/python -m bench.run --quick` about 15 min)
	$(PY) -m bench.run

test-faults: $(READY) ## the fault tests alone, at full size (2,000 hostile intakes per service: 10,000); the only run that writes tests/faults/RESULTS.md
	FAULT_RESULTS=tracked FUZZ_CASES=$${FUZZ_CASES:-2000} $(PY) -m pytest -q -p no:cacheprovider tests/faults

lint: $(READY) ## ruff on everything; mypy strict on the kernel, every service (domain modules included) and the tools
	$(PY) -m ruff check .
	$(PY) -m mypy --strict shared services tools

dev: $(READY) ## start the suite as local processes (and the embedded database if MONGO_URL is unset); REPLICAS=2 runs two of each, CLUSTER=1 on `make cluster`'s nodes
	$(PY) -m tools.dev start $(if $(REPLICAS),--replicas "$(REPLICAS)") $(if $(CLUSTER),--cluster)

dev-stop: ## stop what `make dev` started
	@test -x $(PY) && $(PY) -m tools.dev stop || true

.PHONY: cluster cluster-stop cluster-status
cluster: $(READY) ## a three-node RabbitMQ cluster of its own on 127.0.0.1:5682-5684 (Debian rabbitmq-server, as root), provisioned; the broker on 5672 is left alone
	$(PY) -m tools.cluster start

cluster-stop: ## stop `make cluster`'s three nodes (their data stays in .data/cluster; `python -m tools.cluster reset` removes it)
	@test -x $(PY) && $(PY) -m tools.cluster stop || true

cluster-status: $(READY) ## each node of `make cluster` and how many quorum queues it leads
	$(PY) -m tools.cluster status

health: $(READY) ## table of every service's /ready; fails if any is not ready
	$(PY) -m tools.health

seed: $(READY) ## publish the source's 2015-1 catalog and the district's 1,177 organizations (twice changes nothing)
	$(PY) -m tools.seed

.PHONY: projects
projects: $(READY) ## the catalog's projects by category and status, and budgets per purchaser (BATCH=2015-1 for one batch)
	$(PY) -m services.catalog.cli $(if $(BATCH),--batch "$(BATCH)")

.PHONY: fair
fair: $(READY) ## one fair: its invitations, its schedule as tables by slots, its awards (FAIR=<fair_ref or fair_id>)
	@test -n "$(FAIR)" || { echo "usage: make fair FAIR=<fair_ref or fair_id>" >&2; exit 2; }
	$(PY) -m services.matching.cli "$(FAIR)"

.PHONY: awards
awards: $(READY) ## awards by state (standing still, under complaint, final, cancelled) with standstills and complaints (FAIR=, BATCH=, STATUS= to narrow)
	$(PY) -m services.matching.cli awards $(if $(FAIR),--fair "$(FAIR)") $(if $(BATCH),--batch "$(BATCH)") $(if $(STATUS),--status "$(STATUS)")

.PHONY: census
census: $(READY) ## registration's census: organizations per street and community, communities below the minimum
	$(PY) -m services.registration.cli

training-progress: $(READY) ## progress toward the 1,150-person training target, by audience and street (read-only)
	$(PY) -m services.training_grading.cli

.PHONY: evaluation-report
evaluation-report: $(READY) ## evaluation's operator view: contracts under monitoring, overdue milestones, ratings
	$(PY) -m services.evaluation.cli

asyncapi: $(READY) ## write the AsyncAPI document of every service to docs/asyncapi/
	$(PY) -m tools.asyncapi docs/asyncapi

up: ## the whole suite in Docker (RabbitMQ, MongoDB replica set, five services)
	$(COMPOSE) up -d --build --wait

down:
	$(COMPOSE) down

.PHONY: up-cluster down-cluster
up-cluster: ## the suite past one machine in Docker: three RabbitMQ nodes, a three-member MongoDB replica set, two replicas of each service
	$(COMPOSE) --env-file .env -f deploy/compose.cluster.yml --profile cluster up -d --build --wait

down-cluster:
	$(COMPOSE) --env-file .env -f deploy/compose.cluster.yml --profile cluster down

logs:
	$(COMPOSE) logs -f --tail=200

ps:
	$(COMPOSE) ps

dlq: $(READY) ## every dead-lettered message per service, with its reason and death count
	$(PY) -m tools.dlq list

replay-dlq: $(READY) ## re-publish SERVICE's dead letters after a fix, each once
	$(PY) -m tools.dlq replay --service "$(SERVICE)"

demo: $(READY) ## the district's year through the bus: printed summary and reports/district-cycle.html
	$(PY) -m tools.demo

ocds: $(READY) ## the batch as OCDS 1.1.5 releases (the district's open-data export) in reports/
	$(PY) -m tools.ocds

clean: dev-stop
	rm -rf .data reports/*.html
