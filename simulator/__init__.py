"""The fleet simulator: physics of shared e-bikes, e-scooters and cars, fault injection with ground truth,
MQTT telemetry per CONTRACT section 1, written to a file or published live (paced), recorded and replayed.

    from simulator.engine import SimConfig, Simulation, FaultSpec
    from simulator.output import write_file, publish_live

    sim = Simulation(SimConfig(vehicles=1000, duration=timedelta(days=30), seed=1, faults="random:0.1"))
    write_file(sim.messages(), "fleet.jsonl.gz")   # then sim.truth and sim.summary()

Modules: `engine` (config, the stream, state set-up), `step` (one step of physics and
reporting), `physics` (pure functions and per-type parameters), `fleet` (ids, models,
zones), `faults` (FaultSpec, defaults, random plans, scenario files), `inject`
(activation and ground truth), `output` (file, live, record, pacing), `readings`
(messages back into series), `cli` (`fleet sim|replay|record`).
"""
