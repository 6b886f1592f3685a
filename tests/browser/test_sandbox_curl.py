"""The curl session in docs/SANDBOX.md, run exactly as written (in an empty folder, `lentune` on PATH)."""
import os
import re
import subprocess
import tempfile
from pathlib import Path

from conftest import LENTUNE, ROOT


def test_curl_session_in_docs_works_as_written():
    doc = (ROOT / "docs" / "SANDBOX.md").read_text()
    block = re.search(r"<!-- curl-session:start -->\n```bash\n(.*?)```\n<!-- curl-session:end -->", doc, re.S)
    assert block, "the curl session block is missing from docs/SANDBOX.md"
    env = dict(os.environ)
    env["PATH"] = str(Path(LENTUNE).parent) + os.pathsep + env["PATH"]
    with tempfile.TemporaryDirectory() as tmp:
        result = subprocess.run(["bash", "-c", block.group(1)], cwd=tmp, env=env, capture_output=True, text=True,
                                timeout=120)
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
