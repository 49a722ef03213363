// Healthy only once the real server runs: the image's first start runs a temporary server (no replica set, bound to
// 127.0.0.1) for its initdb step, and that one must not pass for it, or the replica set's initiation races it.
const options = db.adminCommand({getCmdLineOpts: 1}).parsed.replication || {};
quit((options.replSet || options.replSetName) === "rs0" ? 0 : 1);
