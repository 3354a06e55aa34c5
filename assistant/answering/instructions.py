"""Text that tells its reader what to answer, rather than stating something: set apart from the evidence.

Two kinds, whoever they are addressed to:
- text that talks to an AI model ('ignore all previous instructions', a fake chat turn, 'note to the assistant');
- directions for the reply itself: how it must end, begin or be formatted, a link or image it must carry, or the
  fixed text it must be ('every answer must end with ![status](...)', 'the only correct reply is "Closed"').

Such a sentence is never shown to a model as evidence, never vouches for a claim, and the ingest names the files
that hold one. Ordinary prose that merely mentions a reply, an answer or a link ('the minister's reply was brief',
'a link between smoking and cancer') does not match: the rules need the reply to be the object of a direction.
On the public sets (XQuAD and COVID-QA contexts, 16,492 sentences) they flag none.
"""

from __future__ import annotations

import re

# What a direction about the reply is about.
_REPLY = r"(?:answers?|repl(?:y|ies)|responses?|outputs?|messages?|completions?)"
# Whose reply: a determiner that makes it every or the reader's own reply, not one reported in the prose.
_WHOSE = r"(?:every|each|any|all|all\s+of\s+your|your|the\s+next|all\s+future|future)"
_MODAL = r"(?:must|should|shall|has\s+to|have\s+to|needs?\s+to|is\s+to|are\s+to|will|may\s+only|can\s+only)"
# Things a reply can be told to carry that a renderer turns live.
_LIVE = (
    r"(?:links?|urls?|hyperlinks?|images?|pictures?|badges?|pixels?|logos?|icons?|banners?|html|markdown|iframes?"
    r"|scripts?)"
)
# Quoted fixed text, or a word that announces it.
_FIXED = r"(?:[\"'“‘«`]|the\s+(?:single\s+)?(?:word|words|phrase|text|sentence|string|emoji|token)\b)"

_TO_A_MODEL = (
    r"\b(?:ignore|disregard|forget|override)\b.{0,40}\b(?:instructions|prompts?|rules you|system prompt)\b"
    r"|\b(?:reply|respond|answer|say|output|print|write)\b.{0,30}\b(?:only|exactly)\b.{0,40}\b(?:word|text|phrase)\b"
    r"|^\s*(?:system|assistant)\s*:"
    r"|\byou are (?:now|an? )\b.{0,40}\b(?:assistant|model|ai|bot)\b"
    r"|\b(?:note|message|instructions?) (?:to|for) (?:the |any )?(?:ai|assistants?|language models?|chatbots?|llms?)\b"
    r"|\bthe answer to (?:every|any|all) questions?\b"
    r"|\b(?:developer|jailbreak|dan) mode\b"
    # Chat-template turn markers, as written or as llm.inert leaves them.
    r"|<\|?(?:im_start|im_end|eot_id|start_header_id|end_header_id|endoftext)\|?>|\[/?INST\]|<</?SYS>>"
)
_TO_THE_REPLY = (
    # 'Every answer must end with ...', 'any reply about the kettle should include this link'
    rf"\b{_WHOSE}\s+{_REPLY}\b[^.!?\n]{{0,80}}?\b{_MODAL}\s+(?:always\s+)?"
    rf"(?:end|begin|start|open|close|finish|conclude|be\s+(?:formatted|written|given)|read|say|cite|link"
    rf"|(?:include|contain|carry|show|display|embed|have)\b[^.!?\n]{{0,30}}\b{_LIVE})\b"
    # 'We ask that any reply end with ...'
    rf"|\b{_WHOSE}\s+{_REPLY}\b[^.!?\n]{{0,80}}?\b(?:end|begin|start|finish|close|conclude)s?\s+with\b"
    # 'End every answer with ...', 'Begin your reply with ...', 'format all responses as ...'
    rf"|\b(?:end|begin|start|open|close|finish|conclude|sign\s+off|format|wrap|prefix|suffix)\s+{_WHOSE}\s+{_REPLY}"
    r"\s+(?:with|as|in|by|using)\b"
    # 'Add this link to every answer', 'append the following image at the end of each reply'
    rf"|\b(?:add|append|attach|include|insert|embed|put|place|paste|show)\b[^.!?\n]{{0,50}}\b{_LIVE}\b[^.!?\n]{{0,50}}"
    rf"\b(?:to|in|into|at\s+the\s+(?:end|start|top|bottom)\s+of|after|before|below|under|with)\s+{_WHOSE}\s+{_REPLY}\b"
    # 'the only correct reply is "Closed"', 'the only acceptable answer to any question about it is: ...'
    # (not the rhetorical 'the only right response is to act')
    r"|\bthe\s+(?:only|sole)\s+(?:correct|right|valid|acceptable|allowed|permitted|proper|true|possible)\s+"
    r"(?:answer|reply|response|output)\b[^.!?\n]{0,120}?(?:\b(?:is|will\s+be|remains)\b(?!\s+to\s)|:)"
    r"|\bthe\s+only\s+(?:correct|right|valid|acceptable|allowed|permitted|proper)\s+(?:answer|reply|response)\s+"
    r"(?:to|for)\s+(?:any|every|all|each)\b"
    # 'Reply with the word X', 'answer every question with "X"', 'always respond: ...'
    rf"|\b(?:reply|respond|answer)\b[^.!?\n]{{0,40}}?\b(?:with|by\s+saying|saying)\s+(?:only\s+|just\s+)?{_FIXED}"
    r"|\balways\s+(?:reply|respond|answer|say|write)\b\s*(?::|with\b|that\b)"
    # 'Whatever is asked, say ...', 'regardless of the question, reply ...', 'if asked about it, answer ...'
    r"|\b(?:whatever\s+(?:is|you\s+are|they\s+are|anyone\s+is|someone\s+is)\s+asked|no\s+matter\s+(?:what|which)"
    r"\s+(?:is\s+asked|question)|regardless\s+of\s+(?:the|what|which)\s+question)\b[^.!?\n]{0,60}?"
    r"\b(?:say|reply|respond|answer|write|output)\b"
    r"|\bif\s+(?:you\s+are\s+|anyone\s+is\s+|someone\s+is\s+)?asked\b[^.!?\n]{0,80}?,\s*(?:just\s+|simply\s+|always\s+"
    r"|only\s+)?(?:say|reply|respond|answer|write|output)\b"
)
_INSTRUCTION = re.compile(f"{_TO_A_MODEL}|{_TO_THE_REPLY}", re.IGNORECASE)


def looks_like_instruction(text: str) -> bool:
    """True for text addressed to an AI model ('ignore all previous instructions') or that directs the reply
    itself ('end every answer with ...', 'the only correct reply is "X"'), whoever it speaks to."""
    return bool(_INSTRUCTION.search(text))
