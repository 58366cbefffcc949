"""What ties the pure core to storage and the outside world, split by role.

* :mod:`iru.engine.pipeline` — the batch stages: ingest, post detection, account assessment;
* :mod:`iru.engine.services` — transactional services that act for a principal and audit
  it: cases, triage, referrals and their tracking, delivery, sharing, log-in;
* :mod:`iru.engine.readers` — read models over the storage readers: assessment inputs,
  network inputs, the account index, counter-messaging, reports;
* :mod:`iru.engine.adapters` — connector plugins that deliver referral packages;
* :mod:`iru.engine.lab` — the closed-loop experiments, the only place outside ``iru.sim``
  that imports the simulator.
"""
