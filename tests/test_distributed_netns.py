"""Two "machines": 2 MPI ranks in two network namespaces joined by a veth pair, talking TCP over
addresses that exist only inside the namespaces (mpirun starts the second node's daemon through
an rsh agent that enters its namespace, with a hostname of its own). Opt-in (the netns marker,
FASTNN_TEST_NETNS=1): it needs root and `ip`/`unshare`; CI runs it since CI runs as root."""
import os
import shutil
import subprocess

import pytest

from mpi_harness import run_ok, skip_without_mpi

SUBNET = "10.213.77"


@pytest.fixture
def two_namespaces(tmp_path):
    tag = f"fn{os.getpid() % 100000}"
    names = {f"{SUBNET}.1": f"{tag}a", f"{SUBNET}.2": f"{tag}b"}
    a, b = names.values()
    commands = [["ip", "netns", "add", a], ["ip", "netns", "add", b],
                ["ip", "link", "add", f"{a}v", "type", "veth", "peer", "name", f"{b}v"],
                ["ip", "link", "set", f"{a}v", "netns", a], ["ip", "link", "set", f"{b}v", "netns", b]]
    for address, namespace in names.items():
        commands += [["ip", "-n", namespace, "addr", "add", f"{address}/24", "dev", f"{namespace}v"],
                     ["ip", "-n", namespace, "link", "set", f"{namespace}v", "up"],
                     ["ip", "-n", namespace, "link", "set", "lo", "up"]]
    try:
        for command in commands:
            subprocess.run(command, check=True, capture_output=True, timeout=30)
        agent = tmp_path / "netns_agent.sh"
        cases = "\n".join(f"  {address}) ns={namespace} ;;" for address, namespace in names.items())
        agent.write_text(f"""#!/bin/sh
# mpirun's rsh agent: "netns_agent.sh HOST COMMAND..." runs COMMAND in HOST's namespace under its own hostname
host=$1; shift
case "$host" in
{cases}
  *) echo "netns_agent.sh: unknown host $host" >&2; exit 1 ;;
esac
exec ip netns exec "$ns" unshare --uts sh -c "hostname node-$ns && $*"
""")
        agent.chmod(0o755)
        hostfile = tmp_path / "hosts"
        hostfile.write_text("".join(f"{address} slots=1\n" for address in names))
        yield agent, hostfile, f"{SUBNET}.1", list(names.values())
    finally:
        for namespace in names.values():  # deleting a namespace deletes its end of the veth pair
            subprocess.run(["ip", "netns", "del", namespace], capture_output=True, timeout=30)


@skip_without_mpi()
@pytest.mark.netns
@pytest.mark.skipif(os.environ.get("FASTNN_TEST_NETNS") != "1", reason="opt-in: FASTNN_TEST_NETNS=1 (needs root)")
@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("ip") or not shutil.which("unshare"),
                    reason="needs root, ip and unshare")
def test_ddp_across_two_network_namespaces_equals_one_process(two_namespaces):
    agent, hostfile, first, namespaces = two_namespaces
    options = ["--hostfile", hostfile, "--map-by", "node", "--mca", "btl", "tcp,self", "--mca", "plm_rsh_agent",
               agent, "--mca", "oob_tcp_if_include", f"{SUBNET}.0/24", "--mca", "btl_tcp_if_include",
               f"{SUBNET}.0/24"]
    result = run_ok("ddp_equivalence.py", "float64", 10, "overlap", 0.0005, 1e-12, np=2,
                    mpirun_args=[str(o) for o in options], prefix=[str(agent), first], timeout=120)
    assert result.stdout.count(" OK accumulation 0 ") == 2, result
    assert all(f"on node-{namespace}" in result.stdout for namespace in namespaces), result
