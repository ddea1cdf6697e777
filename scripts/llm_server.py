"""Serves one GGUF model over the OpenAI chat API with llama.cpp's own server (through xllamacpp), on 127.0.0.1.

Started in the background by scripts/llm-server, which passes every setting; not meant to be run by hand.
Once the server answers it writes the state file (url, model, pid, port, ...) atomically, which is how
scripts/llm-server, `llmatic search --llm` and the tests find it; it removes that file again when it stops.
"""
import argparse
import json
import os
import signal
import sys
import threading
import time
import urllib.request


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--model-file", required=True)
    p.add_argument("--model-name", required=True, help="the name the server answers to and reports")
    p.add_argument("--port", type=int, required=True, help="0: a free port chosen by the system")
    p.add_argument("--parallel", type=int, required=True, help="slots: requests decoded at once")
    p.add_argument("--threads", type=int, required=True)
    p.add_argument("--context-per-slot", type=int, required=True)
    p.add_argument("--state", required=True, help="state file to write once the server answers")
    a = p.parse_args()

    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = a.model_file
    params.model_alias = {a.model_name}
    params.hostnames = ["127.0.0.1"]
    params.port = a.port
    params.n_parallel = a.parallel
    # llama.cpp splits n_ctx among the slots: each slot gets the prompt (instructions and up to two parent
    # networks, ~1-3k tokens) plus the reply.
    params.n_ctx = a.context_per_slot * a.parallel
    params.cpuparams.n_threads = a.threads
    params.cpuparams_batch.n_threads = a.threads
    # The prompt cache's default is 8 GiB of RAM; our prompts share little beyond the instructions.
    params.cache_ram_mib = 256
    params.endpoint_metrics = True  # /metrics: tokens and seconds, read by scripts/llm-measure
    params.ui = False
    server = xllamacpp.Server(params)
    url = server.listening_address  # e.g. http://127.0.0.1:41234
    port = int(url.rsplit(":", 1)[1].split("/")[0])

    deadline = time.time() + 120
    while True:
        try:
            with urllib.request.urlopen(url + "/health", timeout=5) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if time.time() > deadline:
            print(f"llm_server: {url}/health did not answer within 120 s", file=sys.stderr)
            sys.exit(1)
        time.sleep(0.5)

    state = {
        "url": url + "/v1",
        "model": a.model_name,
        "model_file": a.model_file,
        "pid": os.getpid(),
        "port": port,
        "parallel": a.parallel,
        "threads": a.threads,
        "context_per_slot": a.context_per_slot,
        "xllamacpp": xllamacpp.__version__,
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    tmp = a.state + ".tmp"
    with open(tmp, "w") as f:
        json.dump(state, f, indent=2)
        f.write("\n")
    os.replace(tmp, a.state)
    print(f"llm_server: serving {a.model_name} at {url}/v1 (pid {os.getpid()})", flush=True)

    stop = threading.Event()
    # A parent may have blocked these (the signal mask survives exec; XCTest's is one): `stop` must reach us.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    while not stop.wait(1):
        pass
    try:
        with open(a.state) as f:
            if json.load(f).get("pid") == os.getpid():
                os.remove(a.state)
    except (OSError, ValueError):
        pass
    # The server's threads die with the process; os._exit skips a slow teardown of the model.
    os._exit(0)


if __name__ == "__main__":
    main()
