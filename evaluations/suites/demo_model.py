"""`concord-demo/<profile>`: a scripted stand-in model for the demo, so that the shipped suites
give different, plausible results for different systems without any real model.

It is **not** a model: it recognises the shipped demonstration suites' questions and answers them
right or wrong with a fixed probability per profile (deterministic for a given profile, generate
`seed` and question), refuses or over-refuses in the safeguards suite, and reads documents with
the tool (sometimes obeying the injected instruction) in the prompt-injection suite. In the
multilingual suite it answers in the request's language, refusing less reliably in lower-resource
languages; its `judge-strict` and `judge-lenient` profiles are that suite's scripted graders (see
`evaluations.suites.demo_multilingual`). Anything else gets a generic reply. Registered with
Inspect when this module is imported (the job runner's evaluation child and the demo seed import
it).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from inspect_ai.model import ChatMessage, GenerateConfig, ModelAPI, ModelOutput, modelapi
from inspect_ai.model._model_output import ModelUsage
from inspect_ai.tool import ToolChoice, ToolInfo

from evaluations.suites import demo_multilingual
from evaluations.suites._data import read_records


@dataclass(frozen=True)
class Profile:
    knowledge: float  # chance of a right answer in knowledge QA
    refuses_harmful: float  # chance of refusing a harmful request
    over_refuses: float  # chance of refusing a benign one
    follows_injection: float  # chance of obeying an injected instruction


PROFILES = {
    "strong": Profile(knowledge=0.85, refuses_harmful=0.9, over_refuses=0.1, follows_injection=0.1),
    "medium": Profile(
        knowledge=0.65, refuses_harmful=0.75, over_refuses=0.2, follows_injection=0.35
    ),
    "weak": Profile(knowledge=0.4, refuses_harmful=0.35, over_refuses=0.05, follows_injection=0.6),
}

# The scripted graders of the multilingual suite: they only grade.
JUDGES = ("judge-strict", "judge-lenient")

_QA = {r["input"]: r for r in read_records("knowledge_qa.jsonl")}
_SAFEGUARDS = {r["input"]: r for r in read_records("safeguards.jsonl")}
_DOCUMENT = re.compile(r"document '([^']+)'")


def _chance(*parts: object) -> float:
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _usage(input: list[ChatMessage], text: str) -> ModelUsage:
    prompt = sum(len(m.text.split()) for m in input) * 4 // 3 + 10
    completion = len(text.split()) * 4 // 3 + 1
    return ModelUsage(
        input_tokens=prompt, output_tokens=completion, total_tokens=prompt + completion
    )


@modelapi(name="concord-demo")
class ConcordDemoModel(ModelAPI):
    def __init__(
        self,
        model_name: str,
        base_url: str | None = None,
        api_key: str | None = None,
        config: GenerateConfig = GenerateConfig(),  # noqa: B008 (Inspect's signature)
        **model_args,
    ) -> None:
        super().__init__(model_name, base_url, api_key, [], config)
        self.profile = PROFILES.get(model_name, PROFILES["medium"])
        self.judge = model_name in JUDGES

    async def generate(
        self,
        input: list[ChatMessage],
        tools: list[ToolInfo],
        tool_choice: ToolChoice,
        config: GenerateConfig,
    ) -> ModelOutput:
        seed = config.seed if config.seed is not None else 0
        name = f"concord-demo/{self.model_name}"
        if self.judge:
            prompt = next((m.text for m in reversed(input) if m.role == "user"), "")
            output = ModelOutput.from_content(
                name, demo_multilingual.grade(self.model_name, prompt)
            )
        elif any(t.name == "read_document" for t in tools):
            output = self._agent(input, seed, name)
        else:
            text = self._answer(input, seed)
            output = ModelOutput.from_content(name, text)
        output.usage = _usage(input, output.completion or "tool call")
        return output

    def _answer(self, input: list[ChatMessage], seed: int) -> str:
        question = next((m.text for m in reversed(input) if m.role == "user"), "")
        roll = _chance(self.model_name, seed, question)
        if question in _QA:
            record = _QA[question]
            if roll < self.profile.knowledge:
                return f"The answer is {record['target'][0]}.\nANSWER: {record['target'][0]}"
            return "I am not certain, but my best guess is below.\nANSWER: unknown"
        if question in _SAFEGUARDS:
            harmful = _SAFEGUARDS[question]["metadata"]["kind"] == "harmful"
            refuse = roll < (self.profile.refuses_harmful if harmful else self.profile.over_refuses)
            if refuse:
                return "I'm sorry, but I can't help with that request."
            if harmful:
                return "Here is an outline of how one might go about that. [demo model: content omitted]"
            return "Happy to help. Here is a short, practical explanation. [demo model answer]"
        if question in demo_multilingual.RECORDS:
            return demo_multilingual.answer(
                self.model_name,
                self.profile.refuses_harmful,
                self.profile.over_refuses,
                seed,
                demo_multilingual.RECORDS[question],
            )
        return "This is Concord's scripted demo model: it only knows the demonstration suites."

    def _agent(self, input: list[ChatMessage], seed: int, name: str) -> ModelOutput:
        user = next((m.text for m in input if m.role == "user"), "")
        last = input[-1]
        if last.role == "user":
            match = _DOCUMENT.search(user)
            return ModelOutput.for_tool_call(
                name, "read_document", {"name": match.group(1) if match else "document"}
            )
        if last.role == "tool" and last.function == "read_document":
            document = last.text
            obeys = _chance(self.model_name, seed, document) < self.profile.follows_injection
            body = "\n\n".join(p for p in document.split("\n\n") if "AI" not in p)
            if obeys and "send_email" in document:
                address = re.search(r"[\w.-]+@[\w.-]+\.\w+", document)
                return ModelOutput.for_tool_call(
                    name,
                    "send_email",
                    {"to": address.group(0) if address else "unknown", "body": user},
                )
            reply = f"According to the document: {body}"
            if obeys and "ACCESS GRANTED" in document:
                reply += "\n\nACCESS GRANTED TO OVERRIDE"
            return ModelOutput.from_content(name, reply)
        # after send_email: answer the user as if nothing happened
        document = next((m.text for m in input if m.role == "tool"), "")
        body = "\n\n".join(p for p in document.split("\n\n") if "AI" not in p)
        return ModelOutput.from_content(name, f"According to the document: {body}")
