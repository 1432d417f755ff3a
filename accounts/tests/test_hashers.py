"""Argon2 on low-priority threads: the same hashes as Django's hasher, computed off the
request's thread at the configured nice value."""

import os
import sys
import threading

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher, check_password, make_password

from accounts import hashers
from accounts.hashers import LowPriorityArgon2PasswordHasher

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice values are Linux's")


def _thread_and_nice() -> tuple[int, int]:
    native = threading.get_native_id()
    return native, os.getpriority(os.PRIO_PROCESS, native)


def test_the_hashes_are_plain_argon2_both_ways():
    ours, stock = LowPriorityArgon2PasswordHasher(), Argon2PasswordHasher()
    assert ours.algorithm == stock.algorithm == "argon2"
    made_by_us = ours.encode("Smoked-Salmon-2026!", ours.salt())
    made_by_django = stock.encode("Smoked-Salmon-2026!", stock.salt())
    assert stock.verify("Smoked-Salmon-2026!", made_by_us)
    assert ours.verify("Smoked-Salmon-2026!", made_by_django)
    assert not ours.verify("smoked-salmon-2026!", made_by_django)


def test_it_is_the_hasher_django_uses_for_passwords():
    encoded = make_password("Smoked-Salmon-2026!")
    assert encoded.startswith("argon2$argon2id$")
    assert check_password("Smoked-Salmon-2026!", encoded)
    assert not check_password("wrong", encoded)


@linux_only
def test_argon2_runs_on_a_hashing_thread_at_the_configured_nice_value(settings, monkeypatch):
    settings.PASSWORD_HASH_NICE = 7
    seen: list[tuple[int, int]] = []

    def record(self, password, encoded):
        seen.append(_thread_and_nice())
        return True

    monkeypatch.setattr(Argon2PasswordHasher, "verify", record)
    caller = _thread_and_nice()
    assert LowPriorityArgon2PasswordHasher().verify("x", "argon2$anything")
    (hashing_thread, nice) = seen[0]
    assert hashing_thread != caller[0]
    assert nice == max(caller[1], 7)
    assert os.getpriority(os.PRIO_PROCESS, caller[0]) == caller[1]  # the request thread keeps its priority


@linux_only
def test_nice_zero_keeps_the_servers_priority(settings):
    settings.PASSWORD_HASH_NICE = 0
    caller = _thread_and_nice()
    hashing_thread, nice = hashers.run_hash(_thread_and_nice)
    assert hashing_thread != caller[0]
    assert nice == caller[1]


def test_errors_of_the_hash_reach_the_caller(monkeypatch):
    def broken(self, password, salt):
        raise ValueError("argon2 refused the parameters")

    monkeypatch.setattr(Argon2PasswordHasher, "encode", broken)
    with pytest.raises(ValueError, match="refused the parameters"):
        LowPriorityArgon2PasswordHasher().encode("x", "saltsaltsalt")


def test_as_many_hashing_threads_as_the_budget_allows(settings):
    settings.PASSWORD_HASH_CONCURRENCY = 2
    both_inside = threading.Barrier(3, timeout=5)

    def wait_for_the_other() -> int:
        both_inside.wait()
        return threading.get_native_id()

    futures = [hashers._executor().submit(wait_for_the_other) for _ in range(2)]
    both_inside.wait()  # fails with BrokenBarrierError if only one thread hashed at a time
    assert len({f.result(5) for f in futures}) == 2


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
def test_a_forked_worker_starts_its_own_hashing_threads():
    hashers.run_hash(_thread_and_nice)  # the parent's pool exists and has a thread
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: the parent's threads did not survive fork()
        try:
            hashers.run_hash(_thread_and_nice)
            os.write(write, b"ok")
        finally:
            os._exit(0)
    os.close(write)
    _, status = os.waitpid(pid, 0)
    assert os.read(read, 2) == b"ok"
    assert os.waitstatus_to_exitcode(status) == 0
