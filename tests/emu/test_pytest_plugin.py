"""The pytest plugin (emu/pytest_plugin.py): the `strat9` fixture and
--update-golden, as a user's test suite uses them."""

from tests.conftest import guest

pytest_plugins = ["pytester"]


def test_fixture_runs_guests_and_returns_the_trace(strat9):
    result = strat9.run(guest("hello"), guest("exit_code"), args={2: ["4"]})
    assert result.status == 4
    assert result.process(1).exit_code == 0 and result.process(2).exit_code == 4
    assert b"hello from pid 1\n" in result.stdout
    writes = [e for e in result.trace if e.get("name") == "SYS_WRITE"]
    assert writes and writes[0]["data"]["buf"] == b"hello from pid 1\n"


def test_update_golden_then_compare(pytester):
    hello = guest("hello")
    pytester.makepyfile(test_user=f'''
def test_hello(strat9):
    result = strat9.run({hello!r})
    assert result.status == 0
    strat9.assert_golden(result, "golden/hello.jsonl")
''')
    missing = pytester.runpytest()
    missing.assert_outcomes(failed=1)
    assert "run pytest --update-golden to create it" in missing.stdout.str()
    pytester.runpytest("--update-golden").assert_outcomes(passed=1)
    assert (pytester.path / "golden" / "hello.jsonl").exists()
    pytester.runpytest().assert_outcomes(passed=1)
    golden = pytester.path / "golden" / "hello.jsonl"
    golden.write_text(golden.read_text().replace("68656c6c6f", "6a656c6c6f"))  # "hello" -> "jello"
    changed = pytester.runpytest()
    changed.assert_outcomes(failed=1)
    assert "traces diverge at event" in changed.stdout.str()
