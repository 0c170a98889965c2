import subprocess
import sys


def _run(*args):
    return subprocess.run([sys.executable, "-m", "ketamine_clinic", *args], capture_output=True, text=True,
                          env={"PYTHONPATH": "src", "PATH": "/usr/bin:/bin"})


def test_help_lists_commands():
    result = _run("--help")
    assert result.returncode == 0
    assert "demo" in result.stdout and "manage" in result.stdout


def test_unknown_command_exits_2_with_a_message():
    result = _run("no-such-command")
    assert result.returncode == 2
    assert "invalid choice" in result.stderr
