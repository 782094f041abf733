"""The service images as deploy/docker/Dockerfile defines them, read with Docker's own parser
(the `dockerfile` package wraps moby/buildkit's Go parser)."""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field

import dockerfile

from tests.deploy.rendered_manifests import DEPLOY

DOCKERFILE = DEPLOY / "docker" / "Dockerfile"


@dataclass
class Stage:
    name: str
    base: str
    instructions: list[dockerfile.Command] = field(default_factory=list)

    def all(self, cmd: str) -> list[dockerfile.Command]:
        return [i for i in self.instructions if i.cmd == cmd]

    def last(self, cmd: str) -> dockerfile.Command | None:
        found = self.all(cmd)
        return found[-1] if found else None


def parse() -> tuple[dict[str, str], list[Stage]]:
    """(global ARG defaults, stages in order)."""
    args: dict[str, str] = {}
    stages: list[Stage] = []
    for command in dockerfile.parse_file(str(DOCKERFILE)):
        if command.cmd == "FROM":
            words = list(command.value)
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else ""
            stages.append(Stage(name=name, base=words[0]))
        elif stages:
            stages[-1].instructions.append(command)
        elif command.cmd == "ARG":
            for item in command.value:
                key, _, default = item.partition("=")
                args[key] = default
    return args, stages


def stage_chain(stages: list[Stage], name: str) -> list[Stage]:
    """The stage called ``name`` and the stages it is built FROM, base first."""
    by_name = {s.name: s for s in stages}
    chain = [by_name[name]]
    while chain[0].base in by_name:
        chain.insert(0, by_name[chain[0].base])
    return chain


def env_of(stages: list[Stage], name: str) -> dict[str, str]:
    """The environment a target's containers start with (ENV of the target and its parents)."""
    env: dict[str, str] = {}
    for stage in stage_chain(stages, name):
        for command in stage.all("ENV"):
            words = list(command.value)
            for key, value in zip(words[::2], words[1::2], strict=True):
                env[key] = value
    return env


def user_of(stages: list[Stage], name: str) -> str | None:
    users = [c for s in stage_chain(stages, name) for c in s.all("USER")]
    return users[-1].value[0] if users else None


def shell_words(command: dockerfile.Command) -> list[str]:
    """A RUN/CMD's words, exec form or shell form."""
    return list(command.value) if command.json else shlex.split(" ".join(command.value))
