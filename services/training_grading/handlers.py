"""Training and grading's subscribers: courses, enrolments, attendance and assessments from outside, and
registration's organization events kept as this service's own copy. One transaction each (the kernel's)."""

from __future__ import annotations

import uuid

from services.training_grading.grading import GradingRules, assess, read_assessment
from services.training_grading.organizations import newer, read_organization
from services.training_grading.store import TrainingGradingStore
from services.training_grading.training import (
    Enrolled,
    enrol,
    enrolment_id_for,
    open_course,
    person_key,
    read_attendance,
    read_enrolment_request,
    read_offer,
    record_attendance,
)
from shared.consumer import Unprocessable
from shared.envelope import Envelope
from shared.outcome import Emit
from shared.unit_of_work import Transaction

# Fixed forever: an assessment's id derives from the event that submitted it, so a re-run gives the same id.
ASSESSMENT_NAMESPACE = uuid.UUID("3b0e9a52-7c1d-5f4e-8a2b-6d9c0f1e2a47")



class TrainingGradingHandlers:
    def __init__(self, store: TrainingGradingStore, rules: GradingRules) -> None:
        self.store = store
        self.rules = rules

    async def course_offered(self, event: Envelope, tx: Transaction) -> None:
        offer = read_offer(event.data)
        if isinstance(offer, Emit):
            tx.emit(offer)
            return
        course, outcomes = open_course(offer, existing=await self.store.course_by_ref(offer.course_ref, tx.session))
        if course is not None:
            await self.store.insert_course(course, tx.session)
        tx.emit(*outcomes)

    async def enrolment_requested(self, event: Envelope, tx: Transaction) -> None:
        request = read_enrolment_request(event.data)
        if isinstance(request, Emit):
            tx.emit(request)
            return
        enrolment_id = enrolment_id_for(request.course_id, person_key(request.org_id, request.person))
        enrolled, outcomes = enrol(
            request,
            course=await self.store.course(request.course_id, tx.session),
            organization=await self.store.organization(request.org_id, tx.session),
            existing=await self.store.enrolment(enrolment_id, tx.session),
        )
        if isinstance(enrolled, Enrolled):
            await self.store.save_course(enrolled.course, tx.session)
            await self.store.insert_enrolment(enrolled.enrolment, tx.session)
        tx.emit(*outcomes)

    async def attendance_recorded(self, event: Envelope, tx: Transaction) -> None:
        attendance = read_attendance(event.data)
        if isinstance(attendance, Emit):
            tx.emit(attendance)
            return
        enrolment, outcomes = record_attendance(
            attendance, enrolment=await self.store.enrolment(attendance.enrolment_id, tx.session),
            today=tx.today,
        )
        if enrolment is not None:
            await self.store.save_enrolment(enrolment, tx.session)
        tx.emit(*outcomes)

    async def assessment_submitted(self, event: Envelope, tx: Transaction) -> None:
        submission = read_assessment(event.data, self.rules)
        if isinstance(submission, Emit):
            tx.emit(submission)
            return
        record, outcomes = assess(
            submission,
            assessment_id=uuid.uuid5(ASSESSMENT_NAMESPACE, str(event.event_id)),
            today=tx.today,
            organization=await self.store.organization(submission.org_id, tx.session),
            record=await self.store.grading_record(submission.org_id, tx.session),
            rules=self.rules,
        )
        if record is not None:
            await self.store.save_grading_record(record, tx.session)
        tx.emit(*outcomes)

    async def organization_changed(self, event: Envelope, tx: Transaction) -> None:
        """Any `registration.organization.*` event: keep its state unless a newer version is already kept."""
        incoming = read_organization(event.data)
        if isinstance(incoming, list):
            reasons = "; ".join(f"{e.field}: {e.message}" for e in incoming)
            raise Unprocessable(f"organization state breaks the contract: {reasons}")
        kept = newer(await self.store.organization(incoming.org_id, tx.session), incoming)
        if kept is not None:
            await self.store.save_organization(kept, tx.session)
