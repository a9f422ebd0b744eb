"""A real `outreach-server` on 127.0.0.1 for end-to-end tests written in Python.

`OutreachServer` makes a throwaway CA and a server certificate for 127.0.0.1 with the `openssl`
command (or serves plain HTTP with --dev-http), starts `outreach-server serve --port 0`, reads the
bound port from DATA/port, and runs `outreach-server admin` for teams, users and enrolment
codes. `ServerTestCase` gives a test class one such server with a team and its users. Used by
tests/client-sdk/c_api/ (ctypes) and tests/client-sdk/cli/.
"""

import argparse
import base64
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest


def child_environment():
    """The environment for processes the tests start. Under the sanitizers the ctypes test runs
    with libasan preloaded (python3 itself is not instrumented); the children are, and must not
    get it twice."""
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)
    return env


def _openssl(*arguments, stdin=None):
    return subprocess.run(["openssl", *arguments], input=stdin, check=True,
                          capture_output=True, env=child_environment()).stdout


class TestCa:
    """A CA and a server certificate for 127.0.0.1 / localhost, as PEM files in `directory`."""

    def __init__(self, directory):
        os.makedirs(directory, exist_ok=True)
        self.ca_file = os.path.join(directory, "ca.pem")
        ca_key = os.path.join(directory, "ca-key.pem")
        self.key_file = os.path.join(directory, "server-key.pem")
        self.chain_file = os.path.join(directory, "server-chain.pem")
        csr = os.path.join(directory, "server.csr")
        cert = os.path.join(directory, "server-cert.pem")
        extensions = os.path.join(directory, "server.ext")
        ec_key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
        _openssl("req", "-x509", *ec_key, "-keyout", ca_key, "-out", self.ca_file, "-days", "7",
                 "-subj", "/CN=outreach test CA",
                 "-addext", "basicConstraints=critical,CA:TRUE",
                 "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        _openssl("req", *ec_key, "-keyout", self.key_file, "-out", csr, "-subj", "/CN=127.0.0.1")
        with open(extensions, "w") as out:
            out.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                      "basicConstraints=CA:FALSE\n"
                      "keyUsage=critical,digitalSignature\n"
                      "extendedKeyUsage=serverAuth\n")
        _openssl("x509", "-req", "-in", csr, "-CA", self.ca_file, "-CAkey", ca_key,
                 "-CAcreateserial", "-out", cert, "-days", "7", "-extfile", extensions)
        with open(self.chain_file, "w") as out, open(cert) as leaf, open(self.ca_file) as root:
            out.write(leaf.read() + root.read())
        self.pin = public_key_pin(cert)


def public_key_pin(certificate_file):
    """libcurl's pin form of a PEM certificate's key: sha256//<base64 of the SHA-256 of its
    SubjectPublicKeyInfo>."""
    public_key = _openssl("x509", "-in", certificate_file, "-pubkey", "-noout")
    der = _openssl("pkey", "-pubin", "-outform", "der", stdin=public_key)
    return "sha256//" + base64.b64encode(hashlib.sha256(der).digest()).decode()


class OutreachServer:
    """`outreach-server serve` in a child process, over TLS unless `dev_http`: with a test CA's
    certificate, or with `self_signed` the one the server makes on first start (`pin` is its
    key's pin, `certificate_file` the PEM)."""

    def __init__(self, binary, work_dir, dev_http=False, self_signed=False):
        self.binary = binary
        self.data_dir = os.path.join(work_dir, "server-data")
        self.log_file = os.path.join(work_dir, "server.log")
        os.makedirs(self.data_dir)
        self.ca = None
        self.pin = None
        self.certificate_file = None
        command = [binary, "serve", "--data", self.data_dir, "--port", "0"]
        if dev_http:
            command.append("--dev-http")
        elif self_signed:
            pass
        else:
            self.ca = TestCa(os.path.join(work_dir, "ca"))
            config = os.path.join(work_dir, "server-config.json")
            with open(config, "w") as out:
                json.dump({"tls": {"certificate": self.ca.chain_file,
                                   "private_key": self.ca.key_file}}, out)
            command += ["--config", config]
        self._log = open(self.log_file, "w")
        self.process = subprocess.Popen(command, stdout=self._log, stderr=self._log,
                                        env=child_environment())
        port = self._wait_for_port()
        self.url = ("http" if dev_http else "https") + "://127.0.0.1:" + str(port)
        if self_signed:
            # Made before the server listens, so it is there once the port is.
            self.certificate_file = os.path.join(self.data_dir, "tls", "cert.pem")
            self.pin = public_key_pin(self.certificate_file)

    def _wait_for_port(self, timeout_seconds=60):
        port_file = os.path.join(self.data_dir, "port")
        deadline = time.monotonic() + timeout_seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("outreach-server exited with %d:\n%s"
                                   % (self.process.returncode, self.log()))
            try:
                with open(port_file) as text:
                    port = text.read().strip()
                if port:
                    return int(port)
            except FileNotFoundError:
                pass
            time.sleep(0.05)
        raise RuntimeError("outreach-server did not start:\n" + self.log())

    def log(self):
        self._log.flush()
        with open(self.log_file) as text:
            return text.read()

    def admin(self, *arguments):
        """Runs `outreach-server admin --data DIR ...` and returns its stdout."""
        done = subprocess.run([self.binary, "admin", "--data", self.data_dir, *arguments],
                              capture_output=True, text=True, env=child_environment())
        if done.returncode != 0:
            raise RuntimeError("admin %s failed (%d): %s"
                               % (" ".join(arguments), done.returncode, done.stderr))
        return done.stdout

    def enrolment_code(self, user_name):
        # The code is the last word of the line.
        return self.admin("enrolment-code", user_name).split()[-1]

    def stop(self):
        """Graceful stop (SIGTERM); returns the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
        return self.process.returncode


class ServerTestCase(unittest.TestCase):
    """One server per test class, with team "north" (its id in `team_id`) and the users of
    USERS. The script sets SERVER_BINARY before unittest runs."""

    SERVER_BINARY = None
    USERS = {"ana": "worker", "ben": "worker"}
    SELF_SIGNED = False  # the server's own self-signed certificate rather than a test CA's

    @classmethod
    def setUpClass(cls):
        cls.work_dir = tempfile.mkdtemp(prefix="outreach-test-")
        cls.server = OutreachServer(cls.SERVER_BINARY, cls.work_dir, self_signed=cls.SELF_SIGNED)
        # "team north <id>": devices know their team by its id.
        cls.team_id = cls.server.admin("create-team", "north").split()[-1]
        for name, role in cls.USERS.items():
            cls.server.admin("create-user", name, "--team", "north", "--role", role)

    @classmethod
    def tearDownClass(cls):
        exit_code = cls.server.stop()
        shutil.rmtree(cls.work_dir, ignore_errors=True)
        assert exit_code == 0, "outreach-server exited with %d" % exit_code


def parse_test_paths(*options):
    """Reads --server and each of `options` (a path) from the command line, sets
    ServerTestCase.SERVER_BINARY, and returns the other paths (absolute) and the arguments left
    for unittest.main."""
    parser = argparse.ArgumentParser()
    for option in ("--server",) + options:
        parser.add_argument(option, required=True)
    parsed, rest = parser.parse_known_args()
    ServerTestCase.SERVER_BINARY = os.path.abspath(parsed.server)
    paths = [os.path.abspath(getattr(parsed, option.lstrip("-"))) for option in options]
    return paths, [sys.argv[0]] + rest
