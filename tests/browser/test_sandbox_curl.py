"""The curl session in docs/SANDBOX.md, run as written (in an empty folder, `lentune` on PATH), except that its two
fixed ports become free ones: a fixed port on a busy machine can be held by another program's outgoing connection,
and then the session would wait for ever for a sandbox that could not start."""
import os
import re
import subprocess
import tempfile
from pathlib import Path

from conftest import LENTUNE, ROOT, free_port


def test_curl_session_in_docs_works_as_written():
    doc = (ROOT / "docs" / "SANDBOX.md").read_text()
    block = re.search(r"<!-- curl-session:start -->\n```bash\n(.*?)```\n<!-- curl-session:end -->", doc, re.S)
    assert block, "the curl session block is missing from docs/SANDBOX.md"
    env = dict(os.environ)
    env["PATH"] = str(Path(LENTUNE).parent) + os.pathsep + env["PATH"]
    with tempfile.TemporaryDirectory() as tmp:
        session = block.group(1).replace("47010", str(free_port())).replace("47011", str(free_port()))
        result = subprocess.run(["bash", "-c", session], cwd=tmp, env=env, capture_output=True, text=True, timeout=120)
    output = result.stdout
    assert result.returncode == 0, result.stderr + output
    assert "X-Rate-Limit-Remaining" in output and "Total: 1" in output
    assert '"name":"Kauri Construction Ltd"' in output
    assert '"amount":"1237.05"' in output
    assert '"flat_code":"03-300.M"' in output
    assert "grand_total: 1237.05" in output
    assert "webhook: Bearer listener-secret" in output
    assert '"resource_name":"Purchase Order Contracts"' in output
    assert '"source_application_id":"demo-app"' in output
