"""The packages of `make deb`, installed into a fresh Debian root: the
debootstrap'd base, run by podman (which gives the root its /proc, /dev
and resolver), apt from the same mirror as this machine.  There nginx -t
passes with the system's configuration and with cerebro's, the tool says
its version, and cerebro-server answers /health."""

import glob
from pathlib import Path

import pytest

from image_env import REPO, podman

DEB = REPO / "build" / "deb"

SCRIPT = r"""
set -eu
export DEBIAN_FRONTEND=noninteractive
apt-get update -q > /tmp/apt.log
apt-get install -y -q --no-install-recommends \
    /debs/libnginx-mod-http-cerebro_*_amd64.deb /debs/cerebro_*_amd64.deb \
    >> /tmp/apt.log
echo "== dpkg"
dpkg-query -W -f '${Package} ${Version} ${db:Status-Status}\n' \
    libnginx-mod-http-cerebro cerebro
echo "== snippet"
cat /usr/share/nginx/modules-available/mod-http-cerebro.conf
ls /etc/nginx/modules-enabled/
echo "== system nginx -t"
nginx -t 2>&1
echo "== cerebro nginx -t"
CEREBRO_MODULE=/usr/lib/nginx/modules/ngx_cerebro_module.so \
    /usr/share/cerebro/scripts/render-conf /tmp/prefix
nginx -t -p /tmp/prefix/ -c conf/nginx.conf -e stderr 2>&1
echo "== version"
cerebro --version
echo "== health"
PORT=8111 CEREBRO_PREFIX=/tmp/served cerebro-server > /tmp/server.log 2>&1 &
for i in $(seq 1 100); do
    curl -fsS http://127.0.0.1:8111/health && break
    sleep 0.1
done
echo
echo "== doctor"
cerebro doctor || true
"""


def test_packages_install_into_a_fresh_root(base_image):
    debs = sorted(glob.glob(str(DEB / "*_amd64.deb")))
    names = [Path(d).name for d in debs]
    assert any(n.startswith("libnginx-mod-http-cerebro_1.0.0-") for n in names)
    assert any(n.startswith("cerebro_1.0.0-") for n in names)

    p = podman("run", "--rm", "--network", "host", "-v",
               "%s:/debs:ro" % DEB, base_image, "bash", "-c", SCRIPT,
               check=False, timeout=600)
    out = p.stdout
    assert p.returncode == 0, out + p.stderr
    sections = dict(s.split("\n", 1) for s in out.split("== ")[1:])

    assert "libnginx-mod-http-cerebro 1.0.0-1 installed" in sections["dpkg"]
    assert "cerebro 1.0.0-1 installed" in sections["dpkg"]
    # as Debian's module packages: the snippet, not enabled for the
    # system's nginx (the module runs from its own prefix)
    assert sections["snippet"].startswith(
        "load_module modules/ngx_cerebro_module.so;")
    assert "cerebro" not in sections["snippet"].split("\n", 1)[1]
    assert "syntax is ok" in sections["system nginx -t"]
    assert "test is successful" in sections["cerebro nginx -t"]
    assert sections["version"].strip() == "cerebro 1.0.0"
    assert '"status":"healthy"' in sections["health"]
    # the tool finds the packaged restaurant file and says what is missing
    assert "FAIL  public-url: PUBLIC_URL is not set" in sections["doctor"]
    assert "doctor: " in sections["doctor"]


def test_the_module_package_depends_on_the_nginx_abi():
    deb = sorted(glob.glob(str(DEB / "libnginx-mod-http-cerebro_*.deb")))
    if not deb:
        pytest.fail("build the packages first: make deb")
    import subprocess
    depends = subprocess.run(["dpkg-deb", "-f", deb[0], "Depends"],
                             capture_output=True, text=True).stdout
    assert "nginx-abi-1.22.1-7" in depends
