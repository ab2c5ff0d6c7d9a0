"""`cmake --install BUILD --component apps`: the apps and the dashboard land in PREFIX, and the
installed corio-serve serves the installed dashboard (not the source tree's), also after the
whole prefix is moved."""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest
import urllib.request

CMAKE = BUILD = None


class Install(unittest.TestCase):
    def serve_dashboard(self, server):
        proc = subprocess.Popen([server, "--host", "127.0.0.1", "--port", "0", "--access-log", "off",
                                 "--log-level", "warn"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            line = proc.stdout.readline()
            m = re.match(rb"listening on 127\.0\.0\.1:(\d+)", line)
            self.assertTrue(m, (line, proc.stderr.read() if proc.poll() is not None else b""))
            with urllib.request.urlopen("http://127.0.0.1:%s/dashboard/" % m.group(1).decode(), timeout=30) as r:
                return r.read().decode()
        finally:
            proc.kill()
            proc.wait(timeout=30)
            proc.stdout.close()
            proc.stderr.close()

    def test_installed_apps_serve_the_installed_dashboard(self):
        with tempfile.TemporaryDirectory() as d:
            prefix = os.path.join(d, "prefix")
            subprocess.run([CMAKE, "--install", BUILD, "--prefix", prefix, "--component", "apps"],
                           check=True, capture_output=True, timeout=300)
            server = os.path.join(prefix, "bin", "corio-serve")
            for exe in (server, os.path.join(prefix, "bin", "corio-scrape")):
                self.assertTrue(os.access(exe, os.X_OK), exe)
                out = subprocess.run([exe, "--version"], capture_output=True, timeout=60, text=True)
                self.assertEqual(out.returncode, 0, out.stderr)
                self.assertRegex(out.stdout, r"^corio-(serve|scrape) \d+\.\d+\.\d+\n$")
            index = os.path.join(prefix, "share", "corio-serve", "www", "index.html")
            with open(index, "a") as f:
                f.write("<!-- installed copy -->\n")
            self.assertIn("<!-- installed copy -->", self.serve_dashboard(server))
            moved = os.path.join(d, "elsewhere")
            shutil.move(prefix, moved)
            self.assertIn("<!-- installed copy -->", self.serve_dashboard(os.path.join(moved, "bin", "corio-serve")))
            # Without an installed copy, the binary falls back to the source tree's.
            os.remove(os.path.join(moved, "share", "corio-serve", "www", "index.html"))
            self.assertNotIn("<!-- installed copy -->", self.serve_dashboard(os.path.join(moved, "bin", "corio-serve")))

    def test_the_systemd_unit_example_is_valid(self):
        analyze = shutil.which("systemd-analyze")
        if not analyze:
            self.skipTest("systemd-analyze is not installed (Debian: systemd)")
        here = os.path.dirname(os.path.abspath(__file__))
        with open(os.path.join(here, "..", "..", "..", "apps", "serve", "corio-serve.service")) as f:
            unit = f.read()
        self.assertIn("ExecReload=/bin/kill -HUP $MAINPID", unit)
        server = os.path.join(BUILD, "apps", "serve", "corio-serve")
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "corio-serve.service")
            with open(path, "w") as f:
                f.write(unit.replace("/usr/local/bin/corio-serve", server))
            r = subprocess.run([analyze, "verify", path], capture_output=True, text=True, timeout=120)
        # Unknown or misspelt keys are only warnings: any output fails the check.
        self.assertEqual((r.returncode, r.stdout + r.stderr), (0, ""))


if __name__ == "__main__":
    args = sys.argv[1:]
    CMAKE, BUILD = args[args.index("--cmake") + 1], args[args.index("--build") + 1]
    sys.argv = [sys.argv[0]]
    unittest.main(verbosity=2)
