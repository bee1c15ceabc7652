#!/usr/bin/env python3
"""
bench/run.py - end-to-end benchmark of the TcpActors endpoint against lwIP and the Linux kernel, in one run.

    python3 bench/run.py --secs 10 --reps 3            # the whole matrix (about 3 x 4 x 3 x (secs + ~3) s)
    python3 bench/run.py --secs 5 --reps 3 --endpoints lwip,tcpactors --tests bulk,rr
    python3 bench/run.py report [RESULTS.jsonl]        # the table again from a results file (its last run)
    python3 bench/run.py cleanup                       # namespaces left by a run that was killed with SIGKILL

What it does:
  1. builds the anchors (../shared/anchors: tcpbench.c, lwip_tun.c with Debian's liblwip-dev), our
     bench/tools/tcpsink.c and bench/tools/lwip_chargen.c (the anchor's lwip_tun.c compiled as is, included
     as a translation unit, plus a raw-API chargen on port 19) into a scratch directory outside the
     repository (--work, default /tmp/tcpa-bench), and publishes src/Host in Release there;
  2. starts three endpoints, each in network namespaces of its own (names "tcpa-bench-<pid>-..."),
     198.18.0.0/15 addresses only:
       kernel     tcpbench server + tcpsink chargen in namespace -ke, the client in -kc, joined by veth
       kernel-tun (on request) the same servers in -ktb, the client in -kta, joined by two TUN devices and the
                  anchors' tunfwd: the kernel over a link like ours (--kernel-cc: chargen's congestion control)
       lwip       lwip_chargen (lwip_tun's echo and discard, plus chargen 19) on TUN device ltun0 in
                  namespace -l (the client is the kernel of -l)
       tcpactors  the published host (--TcpActors:Namespace "", --TcpActors:Offload false; otherwise its shipped
                  config, busy polling 200 reads included) on TUN device tatun0 in namespace -t, with discard also
                  on 9001..9007 for crr
       tcpactors-offload (on request) the same host with --TcpActors:Offload true (IFF_VNET_HDR, checksum
                  and TSO4: up to 64 KB super-segments each way) on tatun0 in namespace -to
       tcpactors-busypoll (on request) the tcpactors host with --TcpActors:BusyPollReads 2000 (its config: 200):
                  the read thread polls the empty device ~0.4 ms before it sleeps, in namespace -tp
       tcpactors-b (on request) the tcpactors host again, with --b-hocon and --b-env (environment variables,
                  e.g. a .NET runtime knob): an A/B comparison of one setting within one run, in namespace -tb
     --ns-sysctl KEY=VALUE sets a net.* sysctl in every one of these namespaces (the kernel peers' TCP, e.g.
     net.ipv4.tcp_comp_sack_nr=0), and is printed with the table;
  3. warms each up, then for each repetition runs each test against each endpoint in turn (interleaved,
     so that a change in the machine's background load hits every endpoint alike):
       bulk     tcpbench bulk -p 9       kernel -> endpoint discard        Gbit/s
       chargen  tcpsink sink -p 19       endpoint chargen -> kernel        Gbit/s   (lwIP: lwip_chargen's)
       rr       tcpbench rr -p 7         1-byte round trips, TCP_NODELAY   trans/s
       crr      tcpbench crr             connect+close over 9, 9001..9007  conn/s
     and on request (--tests):
       loss          bulk with --loss-percent (1) random drop each way: nftables numgen on the input and
                     output hooks of the endpoint's namespace, matched on its TUN device (no netem here)
       chargen-loss  chargen with the same loss: the endpoint sends, so its congestion control and loss
                     recovery are what is measured (endpoint tcpactors-newreno: a second host with
                     congestion-control = newreno and sack = off, for the comparison)
       hold          tcpbench hold -c --hold-conns idle connections (TcpActors only): the endpoint's RSS and
                     GC heap (status GcHeapBytes) before and --secs after they are all established, per connection
     recording per test: the endpoint process's CPU (utime+stime of all threads, /proc/PID/stat), its
     context switches (/proc/PID/task/*/status), the machine's busy CPU (/proc/stat), the packets and
     drops on the kernel's side of the device, and for TcpActors the GC's allocated bytes (read from the
     host's status service, port 11, before and after);
  4. prints medians and TcpActors' ratios to lwIP, and appends one JSON line per test and repetition to
     --results (default bench/results/results.jsonl, ignored by git).

Every load is bounded (tcpbench -t, tcpsink -t, a subprocess timeout on top); every namespace and process
the run made is removed on exit, error, Ctrl+C or SIGTERM.
"""
import argparse, glob, json, os, resource, signal, socket, statistics, subprocess, sys, time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ANCHORS = os.environ.get("ANCHORS_DIR", os.path.join(os.path.dirname(os.path.dirname(REPO)), "shared", "anchors"))
if not os.path.isdir(ANCHORS):
    ANCHORS = "/work/shared/anchors"
HZ = os.sysconf("SC_CLK_TCK")
PREFIX = "tcpa-bench-"
RUN_ID = f"{os.getpid()}"
NS_SYSCTLS = []   # --ns-sysctl: set in every namespace ns_add makes
TESTS = ["bulk", "chargen", "rr", "crr", "loss", "chargen-loss", "hold"]
LOSS_TESTS = {"loss": "bulk", "chargen-loss": "chargen"}   # with random loss -> the same transfer without
DEFAULT_TESTS = ["bulk", "chargen", "rr", "crr"]
UNITS = {"bulk": "Gbit/s", "chargen": "Gbit/s", "rr": "trans/s", "crr": "conn/s", "loss": "Gbit/s", "chargen-loss": "Gbit/s", "hold": "B/conn"}
ENDPOINT_ORDER = ("kernel", "kernel-tun", "lwip", "lwip-tuned", "tcpactors", "tcpactors-offload", "tcpactors-busypoll", "tcpactors-newreno", "tcpactors-b")
# Ratio columns of the tables: (endpoint, over this lwIP build, label), shown when both were measured in the run.
RATIOS = (("tcpactors", "lwip", "TcpActors / lwIP"), ("tcpactors-offload", "lwip", "offload / lwIP"), ("tcpactors-busypoll", "lwip", "busy poll / lwIP"), ("tcpactors-b", "lwip", "B / lwIP"),
          ("tcpactors", "lwip-tuned", "TcpActors / lwIP rebuilt"), ("tcpactors-offload", "lwip-tuned", "offload / lwIP rebuilt"))
# The loss test's comparison variant: NewReno without SACK (the defaults are CUBIC with SACK).
NEWRENO_HOCON = "tcp-actors.congestion-control = newreno\ntcp-actors.sack = off"
CRR_PORTS = [9001, 9002, 9003, 9004, 9005, 9006, 9007]
# tcpactors-busypoll: empty reads after a batch before the read thread sleeps (an empty TUN read is ~0.16 us here).
BUSY_POLL_READS = 2000

created_ns = []   # namespaces this run made (deleted on exit)
started = []      # Popen objects this run started (stopped by their own process group)


# ------------------------------------------------------------------ plumbing
def sh(cmd, check=True, capture=True, timeout=600):
    r = subprocess.run(cmd, shell=True, text=True, capture_output=capture, timeout=timeout)
    if check and r.returncode != 0:
        raise RuntimeError(f"command failed ({r.returncode}): {cmd}\n{(r.stdout or '')[-3000:]}{(r.stderr or '')[-3000:]}")
    return r.stdout if capture else r.returncode


def bg(argv, log):
    """Starts a long-running process in a session of its own (stopped later by its process group)."""
    f = open(log, "w")
    p = subprocess.Popen(argv, stdout=f, stderr=subprocess.STDOUT, start_new_session=True)
    started.append(p)
    return p


def stop(p, grace=8):
    if p.poll() is not None:
        return
    try:
        os.killpg(p.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        p.wait(grace)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        p.wait()


def ns_add(suffix):
    ns = f"{PREFIX}{RUN_ID}-{suffix}"
    sh(f"ip netns add {ns}")
    created_ns.append(ns)
    sh(f"ip -n {ns} link set lo up")
    sh(f"ip netns exec {ns} sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 "
       f"net.ipv4.ip_local_port_range='1024 65535'")
    for kv in NS_SYSCTLS:
        subprocess.run(["ip", "netns", "exec", ns, "sysctl", "-q", "-w", kv], check=True)
    return ns


def cleanup():
    for p in reversed(started):
        try:
            stop(p)
        except Exception as e:  # keep going: the namespaces must go in any case
            print(f"cleanup: stopping {p.pid}: {e}", file=sys.stderr)
    started.clear()
    for ns in reversed(created_ns):
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)
    created_ns.clear()


def cleanup_stale():
    """Deletes tcpa-bench-<pid>-* namespaces whose run (pid) is gone; leaves other runs' alone."""
    for line in sh("ip netns list").splitlines():
        name = line.split()[0] if line.strip() else ""
        if not name.startswith(PREFIX):
            continue
        owner = name[len(PREFIX):].split("-")[0]
        if owner.isdigit() and not os.path.exists(f"/proc/{owner}"):
            print(f"deleting stale namespace {name}")
            subprocess.run(["ip", "netns", "del", name])


def on_signal(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


# ------------------------------------------------------------------ accounting
def proc_cpu(pid):
    """utime + stime of every thread of the process, in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        parts = f.read().rsplit(")", 1)[1].split()
    return (int(parts[11]) + int(parts[12])) / HZ


def proc_ctxsw(pid):
    vol = invol = 0
    for st in glob.glob(f"/proc/{pid}/task/*/status"):
        try:
            for line in open(st):
                if line.startswith("voluntary_ctxt_switches"):
                    vol += int(line.split()[1])
                elif line.startswith("nonvoluntary_ctxt_switches"):
                    invol += int(line.split()[1])
        except (FileNotFoundError, ProcessLookupError):
            pass
    return vol, invol


def proc_status(pid, key):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return None


def machine_busy():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = v[:8]
    return (user + nice + system + irq + softirq + steal) / HZ


def dev_stats(ns, dev):
    j = json.loads(sh(f"ip -n {ns} -s -j link show dev {dev}"))[0]["stats64"]
    return {"rx_pk": j["rx"]["packets"], "tx_pk": j["tx"]["packets"], "rx_b": j["rx"]["bytes"], "tx_b": j["tx"]["bytes"],
            "drop": j["rx"]["dropped"] + j["tx"]["dropped"]}


def loadavg():
    return float(open("/proc/loadavg").read().split()[0])


# ------------------------------------------------------------------ build
def ensure_packages():
    missing = [c for c in ("gcc", "pkg-config", "ip", "ping", "nft") if subprocess.run(["which", c], capture_output=True).returncode]
    lwip = subprocess.run(["pkg-config", "--exists", "lwip"], capture_output=True).returncode if not missing else 1
    if missing or lwip:
        print("installing gcc liblwip-dev pkg-config iproute2 iputils-ping nftables with apt-get", flush=True)
        # A fresh machine has no package lists yet: without the update, apt-get finds none of them.
        sh("DEBIAN_FRONTEND=noninteractive apt-get update -qq", capture=False)
        sh("DEBIAN_FRONTEND=noninteractive apt-get install -y gcc liblwip-dev pkg-config iproute2 iputils-ping nftables", capture=False)


def build(a):
    os.makedirs(a.work, exist_ok=True)
    os.makedirs(os.path.join(a.work, "logs"), exist_ok=True)
    ensure_packages()
    w = a.work
    print(f"building the anchors and tools into {w}", flush=True)
    sh(f"gcc -O2 -o {w}/tcpbench {ANCHORS}/tcpbench.c")
    sh(f"gcc -O2 -o {w}/tunfwd {ANCHORS}/tunfwd.c -lpthread")
    sh(f"gcc -O2 $(pkg-config --cflags lwip) -o {w}/lwip_tun {ANCHORS}/lwip_tun.c $(pkg-config --libs lwip) -lpthread")
    # The lwip endpoints run this one: the anchor's lwip_tun.c included as is, plus chargen on port 19.
    sh(f"gcc -O2 -Wall $(pkg-config --cflags lwip) -I{ANCHORS} -o {w}/lwip_chargen {REPO}/bench/tools/lwip_chargen.c "
       f"$(pkg-config --libs lwip) -lpthread")
    sh(f"gcc -O2 -Wall -o {w}/tcpsink {REPO}/bench/tools/tcpsink.c")
    if "lwip-tuned" in a.endpoints.split(","):
        build_lwip_tuned(w)
    if not a.no_publish:
        print("publishing src/Host (Release)", flush=True)
        sh(f"dotnet publish {REPO}/src/Host -c Release -o {w}/host --nologo -v quiet", timeout=1200)


DEB_SRC = "/etc/apt/sources.list.d/tcpa-bench-deb-src.sources"


def build_lwip_tuned(w):
    """lwIP 2.1.3 from Debian's source package, with the anchors' tuned lwipopts.h (MSS 64960, 1 MiB windows):
    what ../shared/anchors/build_tuned.sh does, but into --work and with bench/tools/lwip_chargen.c (the anchor's
    lwip_tun.c plus chargen) as the program. apt-get source needs a deb-src entry; when there is none, one for
    Debian's main archive is added (file DEB_SRC) and apt-get update is run."""
    out = f"{w}/lwip_chargen_tuned"
    srcs = (f"{REPO}/bench/tools/lwip_chargen.c", f"{ANCHORS}/lwip_tun.c", f"{ANCHORS}/tuned/lwipopts.h")
    if os.path.exists(out) and all(os.path.getmtime(out) >= os.path.getmtime(f) for f in srcs):
        return
    src = f"{w}/lwip-src"
    if not glob.glob(f"{src}/lwip-*/src/core/tcp.c"):
        has_deb_src = sh("grep -rlsE '^(deb-src|Types: *deb-src)' /etc/apt/sources.list /etc/apt/sources.list.d/ || true").strip()
        if not has_deb_src:
            print(f"adding a deb-src entry for Debian main ({DEB_SRC}) to fetch lwIP's source", flush=True)
            suite = sh(". /etc/os-release && echo $VERSION_CODENAME").strip() or "bookworm"
            with open(DEB_SRC, "w") as f:
                f.write(f"Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: {suite}\nComponents: main\n"
                        "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n")
            sh("apt-get update", capture=False)
        os.makedirs(src, exist_ok=True)
        sh(f"cd {src} && apt-get source lwip", capture=False)
    s = glob.glob(f"{src}/lwip-*/src/core/tcp.c")[0].rsplit("/src/core/tcp.c", 1)[0]
    print("building lwip_chargen_tuned (lwIP rebuilt with MSS 64960, 1 MiB windows)", flush=True)
    # -I{ANCHORS} after the tuned directory: lwipopts.h comes from tuned/, lwip_tun.c from ANCHORS.
    sh(f"gcc -O2 -w -I{ANCHORS}/tuned -I{s}/src/include -I{s}/port/include -I{ANCHORS} "
       f"{s}/src/core/*.c {s}/src/core/ipv4/*.c {s}/src/core/ipv6/*.c {s}/src/api/*.c {s}/src/netif/ethernet.c "
       f"{s}/port/sys_arch.c {REPO}/bench/tools/lwip_chargen.c -o {out} -lpthread")


# ------------------------------------------------------------------ endpoints
class Endpoint:
    name = ""
    addr = ""
    ns = ""        # where the client runs
    dev = ("", "")  # (namespace, device) whose counters we read: the kernel's side

    def pid_for(self, test):
        raise NotImplementedError

    def supports(self, test):
        return test != "hold"   # idle connections: the stacks in our process (TcpActors) only

    def pids(self):
        return []

    def alive(self, pid):
        return any(p.pid == pid and p.poll() is None for p in started)


def wait_for(what, fn, secs):
    end = time.time() + secs
    while time.time() < end:
        if fn():
            return
        time.sleep(0.1)
    raise RuntimeError(f"timed out waiting for {what}")


def ping_ok(ns, addr):
    return subprocess.run(["ip", "netns", "exec", ns, "ping", "-c", "1", "-W", "1", addr], capture_output=True).returncode == 0


def port_open(ns, addr, port):
    code = f"import socket;s=socket.create_connection(('{addr}',{port}),1);s.close()"
    return subprocess.run(["ip", "netns", "exec", ns, "python3", "-c", code], capture_output=True).returncode == 0


class Kernel(Endpoint):
    name = "kernel"
    addr = "198.18.10.2"

    def __init__(self, a):
        self.ns = ns_add("kc")
        self.sns = ns_add("ke")
        sh(f"ip -n {self.ns} link add tbva type veth peer name tbvb netns {self.sns}")
        sh(f"ip -n {self.ns} addr add 198.18.10.1/24 dev tbva && ip -n {self.ns} link set tbva mtu {a.mtu} up")
        sh(f"ip -n {self.sns} addr add 198.18.10.2/24 dev tbvb && ip -n {self.sns} link set tbvb mtu {a.mtu} up")
        self.start_servers(a)
        self.dev = (self.ns, "tbva")

    def start_servers(self, a):
        logs = os.path.join(a.work, "logs")
        self.server = bg(["ip", "netns", "exec", self.sns, f"{a.work}/tcpbench", "server"], f"{logs}/{self.name}-tcpbench-server.log")
        cc = ["-C", a.kernel_cc] if a.kernel_cc else []   # the sender of chargen; bulk's sender is the client's default
        self.chargen = bg(["ip", "netns", "exec", self.sns, f"{a.work}/tcpsink", "chargen", "-p", "19", "-t", "3600"] + cc,
                          f"{logs}/{self.name}-tcpsink-chargen.log")
        wait_for("the kernel servers", lambda: port_open(self.ns, self.addr, 7) and port_open(self.ns, self.addr, 19), 10)

    def pid_for(self, test):
        return self.chargen.pid if test == "chargen" else self.server.pid

    def pids(self):
        return [self.server.pid, self.chargen.pid]


class KernelTun(Kernel):
    """The kernel's own TCP on both sides of a TUN path: the client's namespace -kta and the server's -ktb, each with a
    TUN device, joined by the anchors' tunfwd (one read and one write per packet, as a userspace stack does). The
    reference for what the kernel itself does over a link like TcpActors' (--kernel-cc picks chargen's sender)."""
    name = "kernel-tun"
    addr = "198.18.18.2"

    def __init__(self, a):
        self.ns = ns_add("kta")
        self.sns = ns_add("ktb")
        for ns, ip in ((self.ns, "198.18.18.1"), (self.sns, self.addr)):
            sh(f"ip -n {ns} tuntap add dev ktun0 mode tun && ip -n {ns} addr add {ip}/24 dev ktun0 && "
               f"ip -n {ns} link set ktun0 mtu {a.mtu} txqueuelen 8192 up")
        logs = os.path.join(a.work, "logs")
        self.fwd = bg([f"{a.work}/tunfwd", self.ns, "ktun0", self.sns, "ktun0"], f"{logs}/kernel-tun-tunfwd.log")
        wait_for("tunfwd", lambda: ping_ok(self.ns, self.addr), 10)
        self.start_servers(a)
        self.dev = (self.ns, "ktun0")

    def pids(self):
        return [self.server.pid, self.chargen.pid, self.fwd.pid]


class Lwip(Endpoint):
    name = "lwip"
    addr = "198.18.11.2"
    peer = "198.18.11.1"
    suffix = "l"
    binary = "lwip_chargen"   # the anchor's lwip_tun (echo, discard) compiled with a chargen server on 19

    def __init__(self, a):
        self.ns = ns_add(self.suffix)
        logs = os.path.join(a.work, "logs")
        self.proc = bg(["ip", "netns", "exec", self.ns, f"{a.work}/{self.binary}", "-d", "ltun0", "-a", self.addr, "-g", self.peer,
                        "-m", str(a.mtu)], f"{logs}/{self.name}.log")
        wait_for("ltun0", lambda: subprocess.run(["ip", "-n", self.ns, "link", "show", "ltun0"], capture_output=True).returncode == 0, 10)
        sh(f"ip -n {self.ns} addr add {self.peer}/24 dev ltun0 && ip -n {self.ns} link set ltun0 mtu {a.mtu} up")
        self.dev = (self.ns, "ltun0")
        wait_for("lwIP to answer ping", lambda: ping_ok(self.ns, self.addr), 10)
        wait_for("lwIP's chargen", lambda: port_open(self.ns, self.addr, 19), 10)

    def supports(self, test):
        # echo and discard (the anchor's code) and chargen (lwip_chargen's); not hold: idle connections are
        # measured for TcpActors only
        return test != "hold"

    def pid_for(self, test):
        return self.proc.pid      # ip netns exec execs the program: this is lwip_chargen itself

    def pids(self):
        return [self.proc.pid]


class LwipTuned(Lwip):
    """lwIP rebuilt with MSS 64960 and 1 MiB windows (the anchors' tuned/lwipopts.h): the reference at large MTUs."""
    name = "lwip-tuned"
    addr = "198.18.15.2"
    peer = "198.18.15.1"
    suffix = "lt"
    binary = "lwip_chargen_tuned"


class TcpActors(Endpoint):
    name = "tcpactors"
    addr = "198.18.12.2"
    peer = "198.18.12.1"
    suffix = "t"
    extra_hocon = ""
    extra_args = ("--TcpActors:Offload", "false")   # the host's default is on: this endpoint measures without

    def __init__(self, a):
        self.ns = ns_add(self.suffix)
        logs = os.path.join(a.work, "logs")
        argv = ["ip", "netns", "exec", self.ns, f"{a.work}/host/TcpActors.Host",
                "--TcpActors:Namespace", "", "--TcpActors:Device", "tatun0", "--TcpActors:Mtu", str(a.mtu),
                "--TcpActors:LocalAddress", self.addr, "--TcpActors:PeerAddress", self.peer,
                "--TcpActors:ShutdownGrace", "00:00:01",
                # Warnings and errors only: the host logs through Microsoft.Extensions.Logging, Akka through it too.
                "--Logging:LogLevel:Default", a.host_log_level, "--Logging:LogLevel:Microsoft.Hosting.Lifetime", a.host_log_level]
        for i, port in enumerate(CRR_PORTS):
            argv += [f"--TcpActors:DiscardPorts:{i}", str(port)]
        argv += list(self.extra_args)
        if a.link_delay_ms:
            argv += ["--TcpActors:LinkDelay", f"00:00:00.{a.link_delay_ms:03d}"]
        for kv in a.host_arg:   # e.g. TcpActors:CapturePath=/tmp/t.pcap
            k, _, v = kv.partition("=")
            argv += [f"--{k}", v]
        if a.tx_queue_len:
            argv += ["--TcpActors:TxQueueLength", str(a.tx_queue_len)]
        hocon = "\n".join(h for h in (a.host_hocon, self.hocon(a)) if h)
        if hocon:
            argv += ["--TcpActors:Hocon", hocon]
        env = dict(os.environ, DOTNET_CLI_TELEMETRY_OPTOUT="1")
        env.update(self.extra_env(a))
        f = open(f"{logs}/{self.name}.log", "w")
        self.proc = subprocess.Popen(argv, stdout=f, stderr=subprocess.STDOUT, start_new_session=True, env=env)
        started.append(self.proc)
        self.dev = (self.ns, "tatun0")
        wait_for("TcpActors to answer ping", lambda: self.proc.poll() is None and ping_ok(self.ns, self.addr), 60)
        wait_for("TcpActors' services", lambda: port_open(self.ns, self.addr, 9007) and port_open(self.ns, self.addr, 19), 30)

    def hocon(self, a):
        return self.extra_hocon

    def extra_env(self, a):
        return {}

    def pid_for(self, test):
        return self.proc.pid

    def supports(self, test):
        return test != "hold" or self.name == "tcpactors"

    def pids(self):
        return [self.proc.pid]

    def status(self):
        """The host's status report (port 11) as {name: value} for the counter and process lines."""
        code = (f"import socket,sys;s=socket.create_connection(('{self.addr}',11),5);s.settimeout(30);b=[]\n"
                f"while True:\n d=s.recv(1<<20)\n if not d: break\n b.append(d)\nsys.stdout.write(b''.join(b).decode())")
        out = subprocess.run(["ip", "netns", "exec", self.ns, "python3", "-c", code], capture_output=True, text=True, timeout=90).stdout
        vals = {}
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[1].lstrip("-").isdigit():
                vals[parts[0]] = int(parts[1])
        return vals


class TcpActorsNewReno(TcpActors):
    """A second host with NewReno and no SACK, for the loss test's comparison."""
    name = "tcpactors-newreno"
    addr = "198.18.13.2"
    peer = "198.18.13.1"
    suffix = "tn"
    extra_hocon = NEWRENO_HOCON


class TcpActorsOffload(TcpActors):
    """The host with TUN offloads on (TcpActors:Offload): checksum and TSO4 super-segments both ways."""
    name = "tcpactors-offload"
    addr = "198.18.14.2"
    peer = "198.18.14.1"
    suffix = "to"
    extra_args = ("--TcpActors:Offload", "true")


class TcpActorsBusyPoll(TcpActors):
    """The host without offloads and with longer busy polling (TcpActors:BusyPollReads; the config has 200): after
    each batch the read thread tries the empty device BUSY_POLL_READS more times (~0.4 ms here) before it sleeps."""
    name = "tcpactors-busypoll"
    addr = "198.18.17.2"
    peer = "198.18.17.1"
    suffix = "tp"
    extra_args = ("--TcpActors:Offload", "false", "--TcpActors:BusyPollReads", str(BUSY_POLL_READS))


class TcpActorsB(TcpActors):
    """The tcpactors host again with --b-hocon and --b-env: an A/B comparison of one setting in the same run."""
    name = "tcpactors-b"
    addr = "198.18.16.2"
    peer = "198.18.16.1"
    suffix = "tb"

    def hocon(self, a):
        return a.b_hocon

    def extra_env(self, a):
        return dict(kv.partition("=")[::2] for kv in a.b_env)


ENDPOINTS = {"kernel": Kernel, "kernel-tun": KernelTun, "lwip": Lwip, "lwip-tuned": LwipTuned, "tcpactors": TcpActors, "tcpactors-offload": TcpActorsOffload,
             "tcpactors-busypoll": TcpActorsBusyPoll, "tcpactors-newreno": TcpActorsNewReno, "tcpactors-b": TcpActorsB}


# ------------------------------------------------------------------ impairment: random loss with nftables
def loss_on(ep, percent):
    """Drops percent% of the packets in each direction on the kernel's side of the endpoint's device (this kernel
    has no netem): nftables numgen random on the input and output hooks, matched on the device."""
    ns, dev = ep.dev
    rules = (f"table ip tcpa_loss {{\n"
             f" chain in {{ type filter hook input priority 0; policy accept; iifname \"{dev}\" numgen random mod 100 < {percent} counter drop; }}\n"
             f" chain out {{ type filter hook output priority 0; policy accept; oifname \"{dev}\" numgen random mod 100 < {percent} counter drop; }}\n"
             f"}}\n")
    subprocess.run(["ip", "netns", "exec", ns, "nft", "-f", "-"], input=rules, text=True, check=True, capture_output=True)


def loss_off(ep):
    """Removes the loss rules; returns the packets they dropped."""
    ns = ep.dev[0]
    out = subprocess.run(["ip", "netns", "exec", ns, "nft", "-j", "list", "table", "ip", "tcpa_loss"], capture_output=True, text=True)
    dropped = 0
    try:
        for item in json.loads(out.stdout)["nftables"]:
            for e in item.get("rule", {}).get("expr", []):
                if "counter" in e:
                    dropped += e["counter"]["packets"]
    except (ValueError, KeyError):
        pass
    subprocess.run(["ip", "netns", "exec", ns, "nft", "delete", "table", "ip", "tcpa_loss"], capture_output=True)
    return dropped


# ------------------------------------------------------------------ one measurement
def client_cmd(a, ep, test, secs):
    w = a.work
    if test in ("bulk", "loss"):
        return [f"{w}/tcpbench", "bulk", "-a", ep.addr, "-p", "9", "-t", str(secs)]
    if test in ("chargen", "chargen-loss"):
        return [f"{w}/tcpsink", "sink", "-a", ep.addr, "-p", "19", "-t", str(secs)]
    if test == "rr":
        return [f"{w}/tcpbench", "rr", "-a", ep.addr, "-p", "7", "-t", str(secs)]
    if test == "crr":
        return [f"{w}/tcpbench", "crr", "-a", ep.addr, "-n", "8", "-t", str(secs)]
    raise ValueError(test)


def run_client(argv, ns, timeout):
    p = subprocess.Popen(["ip", "netns", "exec", ns] + argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         start_new_session=True)
    started.append(p)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        stop(p, grace=1)
        out, err = p.communicate()
        return None, f"timed out after {timeout} s: {err[-500:]}"
    except BaseException:
        stop(p, grace=1)   # Ctrl+C / SIGTERM while the client runs: it goes too
        raise
    finally:
        started.remove(p)
    if p.returncode != 0:
        return None, f"exit {p.returncode}: {out[-500:]} {err[-500:]}"
    return out, None


def measure_hold(a, ep, secs, rep, record=True):
    """N idle established connections (tcpbench hold): the endpoint's RSS and GC heap before and after, per connection."""
    pid = ep.pid_for("hold")
    n = a.hold_conns
    # The connections of the previous repetition must be gone first (the clients' FINs answered), or their
    # release counts against this one (it made reps 2 and 3 negative). The status connection itself is established.
    st0, deadline = ep.status(), time.time() + 120
    while st0.get("TcpCurrEstab", 0) > 1 and time.time() < deadline:
        time.sleep(1)
        st0 = ep.status()
    rss0 = proc_status(pid, "VmRSS")
    hold_s = secs + 60   # time to settle and read; the client is stopped as soon as the figures are in
    t0 = time.time()
    # The client needs a descriptor per connection: several tcpbench processes of at most the hard RLIMIT_NOFILE
    # (a container may not raise it) each; its namespace's port range is 1024..65535 over 8 ports.
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    per = max(1, min(n, (hard if hard != resource.RLIM_INFINITY else n + 1024) - 64))
    chunks = [min(per, n - i) for i in range(0, n, per)]
    procs = []
    for c in chunks:
        p = subprocess.Popen(["ip", "netns", "exec", ep.ns, "prlimit", f"--nofile={c + 64}:{hard}", f"{a.work}/tcpbench", "hold",
                              "-a", ep.addr, "-c", str(c), "-t", str(hold_s)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
        started.append(p)
        procs.append(p)
    rec = {"run": RUN_ID, "label": a.label, "host_hocon": a.host_hocon, "ts": time.strftime("%Y-%m-%d %H:%M:%S"), "endpoint": ep.name,
           "test": "hold", "rep": rep, "secs": secs, "mtu": a.mtu, "unit": UNITS["hold"], "conns": n, "clients": len(procs),
           "loadavg": loadavg()}
    try:
        deadline, errors = time.time() + 300, []
        for p in procs:
            line = ""
            while not line.startswith("HELD") and p.poll() is None and time.time() < deadline:
                line = p.stdout.readline()
            if not line.startswith("HELD"):
                errors.append(f"no HELD line: {line!r} {p.stderr.read()[-300:] if p.poll() is not None else ''}")
        if errors:
            rec["error"] = "; ".join(errors)[:1000]
            rec["value"] = None
        else:
            rec["connect_s"] = round(time.time() - t0, 2)
            time.sleep(secs)   # idle: delayed ACKs and timers settle
            rss1 = proc_status(pid, "VmRSS")
            st1 = ep.status()
            rec["vmrss_kb_before"], rec["vmrss_kb_held"] = rss0, rss1
            rec["rss_bytes_per_conn"] = round((rss1 - rss0) * 1024 / n)
            if "GcHeapBytes" in st0 and "GcHeapBytes" in st1:
                rec["gc_heap_bytes_per_conn"] = round((st1["GcHeapBytes"] - st0["GcHeapBytes"]) / n)
            rec["value"] = rec["rss_bytes_per_conn"]
            rec["vmhwm_kb"] = proc_status(pid, "VmHWM")
    finally:
        for p in procs:
            stop(p, grace=5)
            started.remove(p)
    # Let the connections close (the client's FINs) before the next test.
    time.sleep(3)
    if record:
        with open(a.results, "a") as f:
            f.write(json.dumps(rec) + "\n")
    print(f"  {'' if record else 'warm-up '}rep {rep} {ep.name:9s} hold    {n} conns: RSS {rec.get('rss_bytes_per_conn')} B/conn, "
          f"GC heap {rec.get('gc_heap_bytes_per_conn')} B/conn, connected in {rec.get('connect_s')} s load={rec['loadavg']}"
          + (f"  ERROR {rec['error']}" if rec.get("error") else ""), flush=True)
    return rec


def measure(a, ep, test, secs, rep, record=True):
    if test == "hold":
        return measure_hold(a, ep, secs, rep, record)
    return measure_one(a, ep, test, secs, rep, record)


def measure_one(a, ep, test, secs, rep, record=True):
    pid = ep.pid_for(test)
    st0 = ep.status() if isinstance(ep, TcpActors) else None
    d0 = dev_stats(*ep.dev)
    c0, x0, m0, ru0, t0 = proc_cpu(pid), proc_ctxsw(pid), machine_busy(), resource.getrusage(resource.RUSAGE_CHILDREN), time.time()
    if test in LOSS_TESTS:
        loss_on(ep, a.loss_percent)
    try:
        out, err = run_client(client_cmd(a, ep, test, secs), ep.ns, timeout=secs + a.drain_timeout)
    finally:
        nft_dropped = loss_off(ep) if test in LOSS_TESTS else None
    t1, ru1, m1 = time.time(), resource.getrusage(resource.RUSAGE_CHILDREN), machine_busy()
    alive = ep.alive(pid)
    c1, x1 = (proc_cpu(pid), proc_ctxsw(pid)) if alive else (c0, x0)
    d1 = dev_stats(*ep.dev)
    st1 = ep.status() if isinstance(ep, TcpActors) and alive else None
    rec = {"run": RUN_ID, "label": a.label, "host_hocon": a.host_hocon, "link_delay_ms": a.link_delay_ms, "ns_sysctl": NS_SYSCTLS, "ts": time.strftime("%Y-%m-%d %H:%M:%S"), "endpoint": ep.name, "test": test, "rep": rep,
           "secs": secs, "mtu": a.mtu, "unit": UNITS[test], "wall_s": round(t1 - t0, 3), "loadavg": loadavg(),
           "endpoint_cpu_s": round(c1 - c0, 3), "machine_busy_s": round(m1 - m0, 3),
           "client_cpu_s": round((ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime), 3),
           "ctxsw_vol": x1[0] - x0[0], "ctxsw_invol": x1[1] - x0[1],
           "pk_in": d1["tx_pk"] - d0["tx_pk"],   # kernel side tx = into the endpoint
           "pk_out": d1["rx_pk"] - d0["rx_pk"],  # kernel side rx = out of the endpoint
           "bytes_in": d1["tx_b"] - d0["tx_b"], "bytes_out": d1["rx_b"] - d0["rx_b"], "dev_drops": d1["drop"] - d0["drop"],
           "vmhwm_kb": proc_status(pid, "VmHWM") if alive else None, "vmrss_kb": proc_status(pid, "VmRSS") if alive else None}
    if test in LOSS_TESTS:
        rec["loss_percent"], rec["nft_dropped"] = a.loss_percent, nft_dropped
    if err:
        rec["error"] = err
        rec["value"] = None
    else:
        line = [l for l in out.splitlines() if l.startswith("RESULT")][0].split()
        rec["value"] = float(line[2])
        rec["raw"] = " ".join(line[2:])
        kv = dict(x.split("=", 1) for x in line[4:] if "=" in x)
        if "bytes" in kv:
            rec["bytes"] = int(kv["bytes"])
            if rec["bytes"]:
                rec["endpoint_cpu_s_per_GB"] = round(rec["endpoint_cpu_s"] / (rec["bytes"] / 1e9), 3)
                rec["machine_cpu_s_per_GB"] = round(rec["machine_busy_s"] / (rec["bytes"] / 1e9), 3)
        if test in ("rr", "crr") and rec["value"]:
            ops = rec["value"] * rec["wall_s"]
            rec["ops"] = round(ops)
            rec["endpoint_cpu_us_per_op"] = round(rec["endpoint_cpu_s"] * 1e6 / ops, 2)
    pk = rec["pk_in"] + rec["pk_out"]
    if pk:
        rec["ctxsw_per_pkt"] = round((rec["ctxsw_vol"] + rec["ctxsw_invol"]) / pk, 3)
        rec["endpoint_cpu_ns_per_pkt"] = round(rec["endpoint_cpu_s"] * 1e9 / pk)
    if st0 and st1 and "GcAllocatedBytes" in st0 and "GcAllocatedBytes" in st1:
        alloc = st1["GcAllocatedBytes"] - st0["GcAllocatedBytes"]
        rec["gc_alloc_bytes"] = alloc
        rec["gc_alloc_bytes_per_pkt"] = round(alloc / pk, 1) if pk else None
        rec["gc_gen0"] = st1.get("GcGen0Collections", 0) - st0.get("GcGen0Collections", 0)
        rec["gc_gen2"] = st1.get("GcGen2Collections", 0) - st0.get("GcGen2Collections", 0)
        rec["gc_pause_ms"] = st1.get("GcPauseMilliseconds", 0) - st0.get("GcPauseMilliseconds", 0)
        rec["retransmits"] = st1.get("TcpRetransSegs", 0) - st0.get("TcpRetransSegs", 0)
        for key in ("Timeouts", "FastRetransmits", "SackRetransmits", "LostRetransmits", "LossProbes", "RackFastRecoveries"):
            rec[key.lower()] = st1.get(f"Tcp{key}", 0) - st0.get(f"Tcp{key}", 0)
    if record:
        with open(a.results, "a") as f:
            f.write(json.dumps(rec) + "\n")
    v = rec["value"]
    extra = (f" cpu/GB={rec.get('endpoint_cpu_s_per_GB')}" if "bytes" in rec else f" cpu/op={rec.get('endpoint_cpu_us_per_op')}us")
    if "gc_alloc_bytes_per_pkt" in rec:
        extra += f" alloc/pkt={rec['gc_alloc_bytes_per_pkt']}B"
    print(f"  {'' if record else 'traced ' if rep == 'traced' else 'warm-up '}rep {rep} {ep.name:9s} {test:7s} "
          f"{(f'{v:,.3f}' if v is not None and v < 100 else f'{v:,.0f}' if v is not None else 'FAILED'):>10s} {UNITS[test]:7s} "
          f"endpoint cpu={rec['endpoint_cpu_s']:.2f}s ctxsw/pkt={rec.get('ctxsw_per_pkt')} drops={rec['dev_drops']}"
          f"{extra} load={rec['loadavg']}" + (f"  ERROR {err}" if err else ""), flush=True)
    return rec


# ------------------------------------------------------------------ profile
def trace_tools(a):
    """dotnet-trace (NuGet, into --work/tools) and our TraceSummary (built into --work/tracesummary)."""
    tool = os.path.join(a.work, "tools", "dotnet-trace")
    if not os.path.exists(tool):
        sh(f"dotnet tool install dotnet-trace --tool-path {a.work}/tools", timeout=600)
    summary = os.path.join(a.work, "tracesummary", "TraceSummary.dll")
    sh(f"dotnet build {REPO}/bench/tools/TraceSummary -c Release -o {a.work}/tracesummary --nologo -v quiet", timeout=600)
    return tool, summary


def trace(a, ep, tests):
    tool, summary = trace_tools(a)
    os.makedirs(f"{a.work}/traces", exist_ok=True)
    secs = a.secs
    dur = f"00:00:{(secs + 3) // 60:02d}:{(secs + 3) % 60:02d}"   # dd:hh:mm:ss
    for t in tests:
        if not ep.supports(t):
            continue
        out = f"{a.work}/traces/tcpactors-{t}.nettrace"
        print(f"tracing TcpActors during {t} ({a.trace}) -> {out}", flush=True)
        tp = subprocess.Popen([tool, "collect", "-p", str(ep.proc.pid), "--profile", a.trace, "--duration", dur, "-o", out],
                              stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True)
        started.append(tp)
        time.sleep(2)   # the session starts
        try:
            measure(a, ep, t, secs, "traced", record=False)
            tp.wait(secs + 60)
        except subprocess.TimeoutExpired:
            pass
        finally:
            stop(tp)
            started.remove(tp)
        if os.path.exists(out):
            txt = sh(f"dotnet {summary} {out} 30", check=False, timeout=600)
            with open(out.replace(".nettrace", ".txt"), "w") as f:
                f.write(txt)
            print(f"  summary: {out.replace('.nettrace', '.txt')}", flush=True)


# ------------------------------------------------------------------ report
def fmt(v, unit):
    if v is None:
        return "-"
    return f"{v:.2f}" if unit == "Gbit/s" else f"{v:,.0f}"


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def ratio_head(eps):
    return "".join(f" {label} |" for e, b, label in RATIOS if e in eps and b in eps)


def ratio_cells(eps, vals, f="{:.2f}x"):
    return [f.format(vals[e] / vals[b]) if vals.get(e) and vals.get(b) else "-"
            for e, b, _ in RATIOS if e in eps and b in eps]


def report(recs, out=sys.stdout):
    eps = [e for e in ENDPOINT_ORDER if any(r["endpoint"] == e for r in recs)]
    tests = [t for t in TESTS if any(r["test"] == t for r in recs)]
    g = {}
    for r in recs:
        g.setdefault((r["endpoint"], r["test"]), []).append(r)
    n = max((len(v) for v in g.values()), default=0)
    secs = recs[0]["secs"] if recs else 0
    p = lambda s="": print(s, file=out)
    label = recs[0].get("label") if recs else ""
    delay = recs[0].get("link_delay_ms") if recs else 0
    sysctls = recs[0].get("ns_sysctl") if recs else None
    p(f"\nMedians of {n} x {secs} s{f' [{label}]' if label else ''}, MTU {recs[0]['mtu'] if recs else '?'}"
      f"{f', TcpActors sends delayed {delay} ms by its link impairment' if delay else ''}"
      f"{', in every namespace sysctl ' + ' '.join(sysctls) if sysctls else ''}, run {recs[0]['run'] if recs else '?'} "
      f"({recs[0]['ts'] if recs else ''}); load average during the run {min(r['loadavg'] for r in recs):.1f}..{max(r['loadavg'] for r in recs):.1f}\n")
    head = "| test | unit | " + " | ".join(eps) + " |" + ratio_head(eps)
    p(head)
    p("|" + "---|" * (head.count("|") - 1))
    for t in tests:
        if t == "hold":
            continue
        pct = next((r.get("loss_percent") for r in recs if r.get("loss_percent")), "?")
        row = [t if t not in LOSS_TESTS else f"{t} ({LOSS_TESTS[t]} with {pct}% random drop each way)", UNITS[t]]
        vals = {}
        for e in eps:
            rs = g.get((e, t), [])
            vals[e] = med(r["value"] for r in rs)
            fails = sum(1 for r in rs if r["value"] is None)
            row.append(("n/a" if not rs else fmt(vals[e], UNITS[t])) + (f" ({fails} failed)" if fails else ""))
        row += ratio_cells(eps, vals)
        p("| " + " | ".join(row) + " |")
    # costs
    p("\nCost per unit of work (medians); endpoint = the endpoint's process(es) only (for the kernel: the tcpbench/tcpsink")
    p("server process, which sees only part of the kernel's work; machine = all CPUs, includes the client and background load)\n")
    head = "| figure | " + " | ".join(eps) + " |" + ratio_head(eps)
    p(head)
    p("|" + "---|" * (head.count("|") - 1))
    rows = []
    for t in ("bulk", "chargen"):
        rows.append((f"{t}: endpoint CPU s/GB", t, "endpoint_cpu_s_per_GB", "{:.2f}"))
        rows.append((f"{t}: machine CPU s/GB", t, "machine_cpu_s_per_GB", "{:.2f}"))
        rows.append((f"{t}: endpoint CPU ns/packet", t, "endpoint_cpu_ns_per_pkt", "{:,.0f}"))
        rows.append((f"{t}: context switches/packet", t, "ctxsw_per_pkt", "{:.2f}"))
        rows.append((f"{t}: GC bytes allocated/packet", t, "gc_alloc_bytes_per_pkt", "{:,.0f}"))
    for t in ("rr", "crr"):
        rows.append((f"{t}: endpoint CPU us/op", t, "endpoint_cpu_us_per_op", "{:.1f}"))
        rows.append((f"{t}: context switches/packet", t, "ctxsw_per_pkt", "{:.2f}"))
        rows.append((f"{t}: GC bytes allocated/packet", t, "gc_alloc_bytes_per_pkt", "{:,.0f}"))
    for label, t, key, f in rows:
        if t not in tests:
            continue
        vals = {e: med(r.get(key) for r in g.get((e, t), [])) for e in eps}
        if all(v is None for v in vals.values()):
            continue
        row = [label] + [f.format(vals[e]) if vals[e] is not None else "-" for e in eps]
        row += ratio_cells(eps, vals)
        p("| " + " | ".join(row) + " |")
    for lt, base in LOSS_TESTS.items():
        if lt not in tests or base not in tests:
            continue
        sender = "the kernel sends, the endpoint receives (its ACKs/SACKs)" if base == "bulk" else "the endpoint sends (its congestion control and loss recovery)"
        p(f"\n{lt}: goodput with loss as a fraction of the loss-free {base} figure ({sender}; medians; target >= 0.50):\n")
        p("| endpoint | loss-free Gbit/s | with loss Gbit/s | fraction | endpoint retransmits | RTO timeouts | fast retransmits | tail loss probes | packets dropped by nft |")
        p("|---|---|---|---|---|---|---|---|---|")
        for e in eps:
            b = med(r["value"] for r in g.get((e, base), []))
            l = med(r["value"] for r in g.get((e, lt), []))
            if b is None and l is None:
                continue
            rt = med(r.get("retransmits") for r in g.get((e, lt), []))
            nd = med(r.get("nft_dropped") for r in g.get((e, lt), []))
            to = med(r.get("timeouts") for r in g.get((e, lt), []))
            fr = med(r.get("fastretransmits") for r in g.get((e, lt), []))
            lp = med(r.get("lossprobes") for r in g.get((e, lt), []))
            cell = lambda v: "-" if v is None else f"{v:,.0f}"
            p(f"| {e} | {fmt(b, 'Gbit/s')} | {fmt(l, 'Gbit/s')} | {f'{l / b:.2f}' if b and l else '-'} | "
              f"{cell(rt)} | {cell(to)} | {cell(fr)} | {cell(lp)} | {cell(nd)} |")
    if "hold" in tests:
        p("\nIdle established connections (tcpbench hold; lwIP needs 304 B per connection, target <= 2,048 B):\n")
        p("| endpoint | connections | RSS delta B/conn | GC heap delta B/conn | connect time s |")
        p("|---|---|---|---|---|")
        for e in eps:
            rs = [r for r in g.get((e, "hold"), []) if r.get("value") is not None]
            if not rs:
                continue
            p(f"| {e} | {rs[0]['conns']:,} | {med(r.get('rss_bytes_per_conn') for r in rs):,.0f} | "
              f"{(lambda v: '-' if v is None else f'{v:,.0f}')(med(r.get('gc_heap_bytes_per_conn') for r in rs))} | "
              f"{med(r.get('connect_s') for r in rs):.1f} |")
    peak = {e: max((r.get("vmhwm_kb") or 0 for r in recs if r["endpoint"] == e), default=0) for e in eps}
    row = ["peak RSS (VmHWM) MB"] + [f"{peak[e] / 1024:.1f}" if peak[e] else "-" for e in eps]
    row += ratio_cells(eps, peak, "{:.1f}x")
    p("| " + " | ".join(row) + " |")
    drops = {e: sum(r.get("dev_drops") or 0 for r in recs if r["endpoint"] == e) for e in eps}
    p("| device drops (all tests) | " + " | ".join(str(drops[e]) for e in eps) + " |" + " |" * len(ratio_cells(eps, drops)))


# ------------------------------------------------------------------ main
def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", nargs="?", default="run", choices=["run", "report", "cleanup"])
    ap.add_argument("file", nargs="?", help="for report: the results file (default --results)")
    ap.add_argument("--secs", type=int, default=10, help="seconds per test (1..60)")
    ap.add_argument("--reps", type=int, default=3, help="repetitions per test (1..20)")
    ap.add_argument("--mtu", type=int, default=1500)
    ap.add_argument("--endpoints", default="kernel,lwip,tcpactors")
    ap.add_argument("--tests", default=",".join(DEFAULT_TESTS),
                    help=f"comma-separated, of {','.join(TESTS)} (loss = bulk with --loss-percent random drop; hold = --hold-conns "
                         "idle connections, TcpActors only; endpoint tcpactors-newreno = a second host with NewReno and no SACK)")
    ap.add_argument("--loss-percent", type=int, default=1, help="loss test: percent of packets dropped each way (nftables numgen)")
    ap.add_argument("--hold-conns", type=int, default=10000, help="hold test: idle established connections")
    ap.add_argument("--warmup", type=int, default=3, help="seconds of unrecorded load per test and endpoint before the first rep")
    ap.add_argument("--drain-timeout", type=int, default=30, help="extra seconds a client may take after --secs (bulk drains)")
    ap.add_argument("--work", default=os.environ.get("TCPA_BENCH_WORK", "/tmp/tcpa-bench"), help="scratch dir for builds and logs")
    ap.add_argument("--results", default=os.path.join(REPO, "bench", "results", "results.jsonl"))
    ap.add_argument("--no-publish", action="store_true", help="reuse the host already published in --work/host")
    ap.add_argument("--host-log-level", default="Warning", help="the host's Logging:LogLevel:Default (default Warning)")
    ap.add_argument("--host-hocon", default="", help="extra HOCON for the host (--TcpActors:Hocon)")
    ap.add_argument("--b-hocon", default="", help="endpoint tcpactors-b: extra HOCON for its host (on top of --host-hocon)")
    ap.add_argument("--b-env", action="append", default=[], metavar="KEY=VALUE",
                    help="endpoint tcpactors-b: an environment variable for its host, repeatable (e.g. a .NET runtime knob)")
    ap.add_argument("--kernel-cc", default="", help="endpoints kernel and kernel-tun: chargen's congestion control (TCP_CONGESTION, "
                    "e.g. cubic or reno; default: the kernel's, see sysctl net.ipv4.tcp_congestion_control)")
    ap.add_argument("--link-delay-ms", type=int, default=0,
                    help="TcpActors endpoints: delay every packet the stack sends by this many ms (its link impairment decorator; 0..999)")
    ap.add_argument("--host-arg", action="append", default=[], metavar="KEY=VALUE",
                    help="extra host configuration, repeatable (e.g. TcpActors:CapturePath=/tmp/tcpa.pcap to capture what the stack sees)")
    ap.add_argument("--ns-sysctl", action="append", default=[], metavar="KEY=VALUE",
                    help="a net.* sysctl set in every namespace the run makes (those are per namespace), repeatable; e.g. "
                         "net.ipv4.tcp_comp_sack_nr=0 turns off the kernel peers' SACK compression (bench/README.md round 8)")
    ap.add_argument("--tx-queue-len", type=int, default=0, help="the host's TUN device txqueuelen (--TcpActors:TxQueueLength; default: the host's, 8192)")
    ap.add_argument("--trace", nargs="?", const="gc-verbose,dotnet-sampled-thread-time", default="",
                    help="after the reps, run each test once more against TcpActors under dotnet-trace with these profiles "
                         "(default gc-verbose,dotnet-sampled-thread-time) and summarise each trace with bench/tools/TraceSummary")
    ap.add_argument("--label", default="", help="a name for this run's variant, stored with each result (e.g. the HOCON tried)")
    ap.add_argument("--hold", type=int, default=0, help="after the run, keep the endpoints up this many seconds (for profiling)")
    a = ap.parse_args()

    if a.what == "report":
        path = a.file or a.results
        recs = [json.loads(l) for l in open(path) if l.strip()]
        last = recs[-1]["run"]
        report([r for r in recs if r["run"] == last])
        return
    if os.geteuid() != 0:
        sys.exit("run as root: the harness makes network namespaces and TUN devices")
    if a.what == "cleanup":
        cleanup_stale()
        return
    for kv in a.ns_sysctl:
        key, eq, value = kv.partition("=")
        if not eq or not value or not key.startswith("net.") or not all(c.isalnum() or c in "._-" for c in key):
            sys.exit(f"--ns-sysctl {kv!r}: expected KEY=VALUE with a net.* key")
    NS_SYSCTLS.extend(a.ns_sysctl)
    if not 0 <= a.link_delay_ms <= 999:
        sys.exit("--link-delay-ms must be 0..999")
    if not 1 <= a.secs <= 60 or not 1 <= a.reps <= 20:
        sys.exit("--secs must be 1..60 and --reps 1..20")
    os.makedirs(os.path.dirname(a.results), exist_ok=True)
    signal.signal(signal.SIGINT, on_signal)    # also when started with SIGINT ignored (a background job)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    build(a)
    tests = [t for t in a.tests.split(",") if t]
    eps = []
    try:
        for name in a.endpoints.split(","):
            print(f"starting endpoint {name}", flush=True)
            eps.append(ENDPOINTS[name](a))
        print(f"load average before the run: {open('/proc/loadavg').read().strip()}, {os.cpu_count()} CPUs", flush=True)
        if a.warmup:
            for t in tests:
                for ep in eps:
                    if ep.supports(t) and t != "hold":
                        measure(a, ep, t, a.warmup, 0, record=False)
        recs = []
        for rep in range(1, a.reps + 1):
            for t in tests:
                for ep in eps:
                    if ep.supports(t):
                        recs.append(measure(a, ep, t, a.secs, rep))
        for ep in eps:   # the final peak RSS
            for pid in ep.pids():
                if os.path.exists(f"/proc/{pid}"):
                    hwm = proc_status(pid, "VmHWM")
                    for r in recs:
                        if r["endpoint"] == ep.name and hwm:
                            r["vmhwm_kb"] = max(r.get("vmhwm_kb") or 0, hwm)
        report(recs)
        if a.trace:
            for ep in eps:
                if isinstance(ep, TcpActors):
                    trace(a, ep, tests)
        print(f"\nraw results appended to {a.results}; logs in {a.work}/logs")
        if a.hold:
            print(f"holding the endpoints for {a.hold} s: " + ", ".join(f"{e.name} pid {e.pids()} in {e.ns} at {e.addr}" for e in eps), flush=True)
            time.sleep(a.hold)
    finally:
        cleanup()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt as e:
        cleanup()
        sys.exit(f"interrupted ({e}); namespaces and processes removed")
