// One user per service, with readWrite on its own database only; created, or its password and roles brought up to
// date, on every `docker compose up` (a changed password in .env takes effect), never only on a first start.
const services = {
  catalog: "CATALOG",
  registration: "REGISTRATION",
  matching: "MATCHING",
  training_grading: "TRAINING_GRADING",
  evaluation: "EVALUATION",
};
for (const [name, prefix] of Object.entries(services)) {
  const database = `district_${name}`;
  const password = process.env[`${prefix}_MONGO_PASSWORD`];
  if (!password) throw new Error(`${prefix}_MONGO_PASSWORD is not set`);
  const target = db.getSiblingDB(database);
  const roles = [{ role: "readWrite", db: database }];
  if (target.getUser(name)) {
    target.updateUser(name, { pwd: password, roles });
  } else {
    target.createUser({ user: name, pwd: password, roles });
  }
  print(`service user ${name}: readWrite on ${database}`);
}
