import os
import shutil

import pytest

from harness import MODULE, Nginx, Redis, world_traversable_dir


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Lets fixtures know whether the test itself failed."""
    outcome = yield
    setattr(item, "rep_" + call.when, outcome.get_result())


def pytest_sessionstart(session):
    if not MODULE.exists():
        raise pytest.UsageError(f"{MODULE} is not built: run 'make test'")


@pytest.fixture
def prefixes():
    base = world_traversable_dir("prefixes")
    yield base
    # CEREBRO_KEEP=1 keeps the prefixes (logs, data) to read after the run
    if os.environ.get("CEREBRO_KEEP"):
        print(f"kept {base}")
    else:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def nginx_factory(prefixes, request):
    """Makes nginx instances; at the end stops them and fails the test on
    any [alert] or [emerg] line, or a worker that exited on a signal."""
    made = []

    def make(env=None, workers=2, name=None):
        n = Nginx(prefixes / (name or f"nginx{len(made)}"), env=env,
                  workers=workers)
        made.append(n)
        return n

    yield make

    problems = []
    failed = getattr(request.node, "rep_call", None)
    for n in made:
        code = n.stop()
        if failed is not None and failed.failed:
            # what nginx said, next to the failed assertion
            print(f"--- {n.prefix}/logs/error.log (last 40 lines)")
            print("\n".join(n.log_text().splitlines()[-40:]))
        bad = n.bad_log_lines()
        if bad:
            problems.append(f"{n.prefix}: " + "\n".join(bad))
        if code not in (None, 0):
            problems.append(f"{n.prefix}: nginx exited with {code}")
    if problems:
        pytest.fail("nginx misbehaved:\n" + "\n".join(problems))


@pytest.fixture
def nginx(nginx_factory):
    return nginx_factory().start()


@pytest.fixture
def redis_server(tmp_path):
    r = Redis(tmp_path / "redis").start()
    yield r
    r.stop()
