# make demo : set up .venv, build the guests, run the multi-process demo
# make test : set up .venv, build the guests, run the whole test suite
# make bench: the benchmarks (not part of make test)
# make fuzz : a long fuzzing session (not part of make test)

PYTHON ?= python3
VENV := .venv
VPY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
TOOLCHAIN ?= gcc
OPT ?= -O2
GUESTS := build/guests/$(TOOLCHAIN)$(OPT)

MATRIX := gcc/-O0 gcc/-O2 clang/-O0 clang/-O2

.PHONY: all setup guests guests-matrix demo test bench soak fuzz clean distclean

all: guests

# Byte-compiled once here, so that start-up does not recompile the package
# when the environment disables writing .pyc files (PYTHONDONTWRITEBYTECODE).
setup: $(STAMP)
	@$(VPY) -m compileall -q emu kernel_model

# emu/_trap.c is the C syscall hook: pip builds it (in place, for an editable install).
$(STAMP): pyproject.toml emu/_trap.c
	test -x $(VPY) || $(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install --quiet --disable-pip-version-check -e '.[test]' --config-settings editable_mode=compat
	touch $@

guests: setup
	$(MAKE) --no-print-directory -C guest_programs TOOLCHAIN=$(TOOLCHAIN) OPT=$(OPT) PYTHON=$(abspath $(VPY))

# The IPC demo: an echo server bound at /srv/echo, a client making calls, and
# a second client that shares a channel and a ring with the server.
# The compiler matrix: every guest built by gcc and clang at -O0 and -O2.
guests-matrix: setup
	$(foreach cell,$(MATRIX),$(MAKE) -j2 --no-print-directory -C guest_programs TOOLCHAIN=$(patsubst %/,%,$(dir $(cell))) \
	  OPT=$(notdir $(cell)) PYTHON=$(abspath $(VPY)) &&) true

demo: guests
	$(VPY) -m emu run --trace $(GUESTS)/demo_ipc_server.elf $(GUESTS)/demo_ipc_client.elf $(GUESTS)/demo_ipc_sharer.elf

test: guests guests-matrix
	$(VPY) -m pytest -q

# 1,000,000 messages through a port, a channel and a shared ring (not in make test).
soak: guests
	$(VPY) tools/soak.py 1000000

# A long fuzzing session (not in make test): the guest syscall fuzzer with many
# seeds and large counts, the kernel-model fuzzer, the loader mutations and the
# malformed-ELF corpus (tools/fuzz.py; e.g. FUZZ_ARGS="--seeds 1000 --cells gcc-O2,clang-O0").
fuzz: guests
	$(VPY) tools/fuzz.py $(FUZZ_ARGS)

# The benchmarks compare with qemu-user (Debian package qemu-user): installed
# with apt-get when missing (root), else run.py skips that runner.
bench: guests
	@command -v qemu-x86_64 >/dev/null 2>&1 || { apt-get update && apt-get install -y qemu-user; } || \
	  echo "bench: could not install qemu-user; the qemu-x86_64 runner is skipped" >&2
	$(VPY) bench/run.py $(BENCH_ARGS)

clean:
	rm -rf build

distclean: clean
	rm -rf $(VENV) *.egg-info
