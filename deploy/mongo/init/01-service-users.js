// Runs once, on the first start of an empty volume: one user per service, with access to its own database only.
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
  db.getSiblingDB(database).createUser({
    user: name,
    pwd: password,
    roles: [{ role: "readWrite", db: database }],
  });
}
