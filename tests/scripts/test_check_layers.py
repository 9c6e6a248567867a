"""scripts/check-layers on small trees of its own: it passes a tree whose
dependencies run down, and names every upward include and every use of a
higher layer's name, hand-written declarations included."""

import subprocess
from pathlib import Path

CHECK = Path(__file__).resolve().parents[2] / "scripts" / "check-layers"


def tree(tmp_path, files):
    root = tmp_path / "mod"
    for name, text in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return root


def check(root):
    p = subprocess.run([str(CHECK), str(root)], capture_output=True,
                       text=True)
    return p.returncode, p.stdout


GOOD = {
    "ngx_cerebro.h": '#include "cerebro_a.h"\n',
    "core/cerebro_a.h": "int cerebro_a(void);\n#define CEREBRO_A 1\n",
    "core/cerebro_a.c": '#include "cerebro_a.h"\nint\ncerebro_a(void)\n'
                        "{\n    return CEREBRO_A;\n}\n",
    "net/ngx_net.h": '#include "ngx_cerebro.h"\n'
                     "typedef struct { int x; } ngx_net_t;\n"
                     "void ngx_net_go(ngx_net_t *n);\n",
    "net/ngx_net.c": '#include "ngx_net.h"\nvoid\nngx_net_go(ngx_net_t *n)\n'
                     "{\n    n->x = cerebro_a();\n}\n",
    "tools/ngx_tool.c": '#include "ngx_net.h"\nstatic void\n'
                        "ngx_tool_run(ngx_net_t *n)\n{\n"
                        "    ngx_net_go(n);\n}\n",
}


def test_a_tree_that_runs_down_passes(tmp_path):
    code, out = check(tree(tmp_path, GOOD))
    assert (code, out) == (0, "")


def test_an_upward_include_is_named(tmp_path):
    files = dict(GOOD)
    files["net/ngx_net.c"] = '#include "ngx_net.h"\n#include "ngx_tool.h"\n'
    files["tools/ngx_tool.h"] = "void ngx_tool_x(void);\n"
    code, out = check(tree(tmp_path, files))
    assert code == 1
    assert "net/ngx_net.c:2: net includes tools/ngx_tool.h (tools)" in out


def test_a_call_up_without_an_include_is_named(tmp_path):
    files = dict(GOOD)
    files["tools/ngx_tool.h"] = "void ngx_tool_x(void);\n"
    files["tools/ngx_tool.c"] += "void\nngx_tool_x(void)\n{\n}\n"
    # a hand-written declaration, as the outbox had for a tool's struct
    files["net/ngx_net.c"] += ("void ngx_tool_x(void);\nstatic void\n"
                               "later(void)\n{\n    ngx_tool_x();\n}\n")
    code, out = check(tree(tmp_path, files))
    assert code == 1
    assert "net uses ngx_tool_x of tools/ngx_tool.c (tools)" in out


def test_core_takes_no_nginx_header(tmp_path):
    files = dict(GOOD)
    files["core/cerebro_a.c"] = "#include <ngx_core.h>\n" \
        + files["core/cerebro_a.c"]
    code, out = check(tree(tmp_path, files))
    assert code == 1 and "core includes nginx's <ngx_core.h>" in out


def test_a_file_outside_the_layers_is_named(tmp_path):
    files = dict(GOOD)
    files["misc/ngx_odd.c"] = "int odd;\n"
    code, out = check(tree(tmp_path, files))
    assert code == 1 and "misc/ngx_odd.c: not in a known layer" in out
