#!/usr/bin/env python3
"""Prints a psql script that fills an application-schema database (after `schema migrate`) with ROWS
files and ROWS batch requests of application-shaped, realistically compressible content. Used by
backup.sh: `backup-data.py ROWS | psql -v ON_ERROR_STOP=1 -d DB`. Deterministic (fixed seed).

Text is made of words, not repeated phrases or hex digests: per language (en, de, fr, es) a vocabulary
of 3000 words (the language's commonest function words first, then pseudo-words built from its
syllables), drawn with a Zipf distribution (weight 1 / (rank + 2.7)^1.2), with 30 % of tokens replaced by one of
500 collocations (2-4 words), so no two unrelated rows share a sentence. Markdown files have titles, sections, paragraphs, lists, links and code blocks; JSON files
are nested key/value string catalogs; batch requests are OpenAI batch lines (varied system prompts,
markdown user content, each English segment sent to de, fr and es) with chat-completion responses in
the target language. pg_dump -Fc compresses the result about 4.5x (zstd -3 about 5.3x); the
application's real data measured 6.4x (see README, "Backups and restore").
"""
import hashlib
import itertools
import json
import random
import sys

ROWS = int(sys.argv[1])
SESSIONS = ROWS // 200 + 1
BATCHES = ROWS // 100 + 1
VOCAB = 3000
PHRASE_COUNT = 500
PHRASE_SHARE = 0.3
rng = random.Random(20261126)

FUNCTION_WORDS = {
    "en": "the of and to a in is it you that for on with as are this be can by your file not or use from at an if all "
          "will when which each new page text key value set run see more one has was how do these other we into may "
          "must only also then",
    "de": "der die und in den von zu das mit sich des auf für ist im dem nicht ein eine als auch es an werden aus er "
          "hat dass sie nach wird bei einer um am sind noch wie einem über einen so zum war haben nur oder aber vor "
          "zur bis mehr durch man sein wurde kann",
    "fr": "le de un être et à il avoir ne je son que se qui ce dans en du elle au pour pas vous par sur faire plus "
          "dire me on mon lui nous comme mais pouvoir avec tout y aller voir bien où sans tu ou leur si deux moi "
          "vouloir te venir quand grand celui fichier page texte",
    "es": "el la de que y a en un ser se no haber por con su para como estar tener le lo todo pero más hacer o poder "
          "decir este ir otro ese si me ya ver porque dar cuando él muy sin vez mucho saber qué sobre mi alguno "
          "mismo yo también hasta año dos querer",
}
SYLLABLES = {  # onsets, vowels, codas
    "en": ("b c d f g h l m n p r s t v w st tr pl cr sh th ch br gr".split(), "a e i o u ea ou io y".split(),
           [""] * 4 + "n r s t l d ng nt st ck rd tion ment ing ed er ly".split()),
    "de": ("b d f g h k l m n p r s t w z sch st sp ch pf kr gr br".split(), "a e i o u ei au ie ä ö ü eu".split(),
           [""] * 4 + "n r s t ch ng nd st en er ung heit keit lich ig".split()),
    "fr": ("b c d f g l m n p r s t v ch gr pr tr qu pl".split(), "a e i o u é ou ai eau oi è au".split(),
           [""] * 4 + "n r s t nt ment tion que ble re eur ie é".split()),
    "es": ("b c d f g j l m n p r s t v ll ch pr tr gr bl".split(), "a e i o u ia ie io ue".split(),
           [""] * 4 + "n r s l do da ción mente dad ar er ir".split()),
}


def vocabulary(lang):
    words = FUNCTION_WORDS[lang].split()
    onsets, vowels, codas = SYLLABLES[lang]
    seen = set(words)
    while len(words) < VOCAB:
        n = len(words)
        syllables = 1 + (n > 400) + (n > 1500) + (rng.random() < 0.3)
        w = "".join(rng.choice(onsets) + rng.choice(vowels) for _ in range(syllables)) + rng.choice(codas)
        if w not in seen:
            seen.add(w)
            words.append(w)
    return words


CUM_WEIGHTS = list(itertools.accumulate(1.0 / (r + 2.7) ** 1.2 for r in range(VOCAB)))
VOCABS = {lang: vocabulary(lang) for lang in FUNCTION_WORDS}
LANG_NAMES = {"de": "German", "fr": "French", "es": "Spanish"}


# Collocations: per language 500 phrases of 2-4 words (drawn like words, then themselves drawn with a
# Zipf distribution), so text has the repeated word pairs and phrases real text has.
PHRASES = {lang: [" ".join(rng.choices(v, cum_weights=CUM_WEIGHTS, k=rng.randint(2, 4))) for _ in range(PHRASE_COUNT)]
           for lang, v in VOCABS.items()}
PHRASE_CUM_WEIGHTS = list(itertools.accumulate(1.0 / (r + 2.7) for r in range(PHRASE_COUNT)))


def words(lang, n):
    """n tokens: single words, or (with probability PHRASE_SHARE) a collocation of 2-4 words."""
    tokens = rng.choices(VOCABS[lang], cum_weights=CUM_WEIGHTS, k=n)
    for k in range(n):
        if rng.random() < PHRASE_SHARE:
            tokens[k] = rng.choices(PHRASES[lang], cum_weights=PHRASE_CUM_WEIGHTS)[0]
    return tokens


def ident(sep, n=2):
    return sep.join(words("en", n))


def markdown_skeleton():
    """A document's structure: what stays the same in every language (code, link targets, identifiers)."""
    blocks = [("h1", rng.randint(2, 6)), ("p", [rng.randint(5, 20) for _ in range(rng.randint(1, 3))])]
    for _ in range(rng.randint(1, 4)):
        blocks.append(("h2", rng.randint(1, 4)))
        blocks.append(("p", [rng.randint(5, 20) for _ in range(rng.randint(1, 4))]))
        if rng.random() < 0.35:
            blocks.append(("list", [rng.randint(3, 9) for _ in range(rng.randint(2, 4))]))
        r = rng.random()
        if r < 0.15:
            blocks.append(("code", f"```sh\nnpx auto-i18n translate --project {rng.randrange(50)} {ident('-')}.md\n```"))
        elif r < 0.35:
            blocks.append(("link", f"/docs/{ident('-')}", ident(".")))
    return blocks


def sentence_of(lang, n):
    w = words(lang, n)
    w[0] = w[0].capitalize()
    if n > 8 and rng.random() < 0.3:
        w[rng.randint(2, n - 4)] += ","
    return " ".join(w) + rng.choice("......?:!")


def render_block(lang, block):
    kind = block[0]
    if kind == "h1":
        return "# " + " ".join(w.capitalize() for w in words(lang, block[1]))
    if kind == "h2":
        return "## " + " ".join(w.capitalize() for w in words(lang, block[1]))
    if kind == "p":
        return " ".join(sentence_of(lang, n) for n in block[1])
    if kind == "list":
        return "\n".join("- " + " ".join(words(lang, n)) for n in block[1])
    if kind == "code":
        return block[1]
    return f"See [{' '.join(words(lang, 3))}]({block[1]}) and `{block[2]}`."


def markdown_versions(langs):
    """One document: the upload (en), the previous original (one paragraph differs), the delta (that
    section), and a translation per target language (same structure, code and links)."""
    blocks = markdown_skeleton()
    upload = [render_block("en", b) for b in blocks]
    paragraphs = [k for k, b in enumerate(blocks) if b[0] == "p"]
    changed = rng.choice(paragraphs)
    original = list(upload)
    original[changed] = render_block("en", blocks[changed])
    delta = upload[max(0, changed - 1):changed + 1]
    docs = {"upload": upload, "original": original, "delta": delta}
    for lang in langs:
        docs[lang] = [render_block(lang, b) for b in blocks]
    return {k: "\n\n".join(v) + "\n" for k, v in docs.items()}


def catalog_versions(langs):
    """One JSON string catalog: keys (en identifiers) shared, values per language; the original has
    one value different, the delta holds that value."""
    shape = list({ident("_", rng.randint(1, 2)): list({ident("_", rng.randint(1, 3)): rng.randint(3, 14)
                                                        for _ in range(rng.randint(2, 6))}.items())
                  for _ in range(rng.randint(1, 3))}.items())

    def render(lang):
        return {g: {k: sentence_of(lang, n) for k, n in keys} for g, keys in shape}

    upload = render("en")
    original = json.loads(json.dumps(upload))
    g, keys = rng.choice(shape)
    k, n = rng.choice(keys)
    original[g][k] = sentence_of("en", n)
    docs = {"upload": upload, "original": original, "delta": {g: {k: upload[g][k]}}}
    for lang in langs:
        docs[lang] = render(lang)
    return {key: json.dumps(v, ensure_ascii=False, indent=2) for key, v in docs.items()}


def md5(s):
    return hashlib.md5(s.encode()).hexdigest()


def copy_field(v):
    if v is None:
        return r"\N"
    return str(v).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def copy_row(*fields):
    return "\t".join(copy_field(f) for f in fields) + "\n"


out = sys.stdout
out.write("SET synchronous_commit = off;\n")
out.write(f"""INSERT INTO public.sessions (sender_id, session_type, source_locale, target_locales, metadata)
SELECT 'bench-' || md5(i::text), CASE WHEN i % 3 = 0 THEN 'upload' ELSE 'changes' END, 'en', ARRAY['de','fr','es'],
       jsonb_build_object('project', 'project-' || (i % 50), 'branch', (ARRAY['main', 'develop', 'release'])[1 + i % 3],
                          'client', 'auto-i18n-cli/' || (1 + i % 3) || '.' || (i % 10), 'files', 20 + i % 300)
FROM generate_series(1, {SESSIONS}) i;
INSERT INTO public.batches (session_id, batch_id, openai_batch_id, status, provider, model, source_locale, target_locales,
                            request_count, completed_count, manifest)
SELECT 1 + i % {SESSIONS}, 'batch-' || md5(i::text), 'batch_' || substr(md5('o' || i), 1, 24), 'completed', 'openai',
       (ARRAY['gpt-4o-mini', 'gpt-4o', 'gpt-4.1-mini'])[1 + i % 3], 'en', ARRAY['de', 'fr', 'es'], 100, 100,
       jsonb_build_object('input_file_id', 'file-' || substr(md5('in' || i), 1, 24),
                          'output_file_id', 'file-' || substr(md5('out' || i), 1, 24))
FROM generate_series(1, {BATCHES}) i;
""")

# Files, in groups of six rows as a session stores one document: the English upload, the previous
# original, the delta, and the de/fr/es translations; 4 of 5 documents markdown, 1 of 5 JSON catalogs.
out.write("COPY public.files (session_id, file_type, content_type, locale, relative_path, file_name, format, content, "
          "content_hash, size_bytes) FROM stdin;\n")
GROUP = (("upload", "upload", "en"), ("original", "original", "en"), ("delta", "delta", "en"),
         ("translation", "de", "de"), ("translation", "fr", "fr"), ("translation", "es", "es"))
i = 0
doc = 0
while i < ROWS:
    doc += 1
    is_json = doc % 5 == 0
    versions = catalog_versions(("de", "fr", "es")) if is_json else markdown_versions(("de", "fr", "es"))
    name = f"{ident('-')}-{doc}.{'json' if is_json else 'md'}"
    path = f"docs/{ident('-', 1)}/{name}"
    content_type = ("content", "content", "page", "global")[doc % 4]
    for file_type, key, lang in GROUP[:ROWS - i]:
        i += 1
        content = versions[key]
        out.write(copy_row(1 + doc % SESSIONS, file_type, content_type, lang, path, name,
                           "json" if is_json else "markdown", content, md5(content), len(content.encode())))
out.write("\\.\n")

# Batch requests: OpenAI batch lines (system prompt per target language and style, markdown user content
# in English) and chat-completion responses in the target language.
MODELS = ("gpt-4o-mini-2024-07-18", "gpt-4o-2024-08-06", "gpt-4.1-mini-2025-04-14")
PROMPTS = ("You are a professional translator. Translate the user's Markdown from English into ",
           "Translate the following documentation into ", "Translate this JSON catalog of UI strings into ")
RULES = (". Keep code blocks, links and placeholders such as {name} unchanged.",
         ". Preserve the Markdown structure. Do not translate product names.",
         ". Return only the translation, with the same keys.", ".")
out.write("COPY public.batch_requests (batch_id, custom_id, request, response, status) FROM stdin;\n")
for i in range(1, ROWS + 1):
    lang = ("es", "de", "fr")[i % 3]
    model = MODELS[(i // 100) % 3]
    if i % 3 == 1:  # one English segment, translated into de, fr and es by three consecutive requests
        segment = ([("h2", rng.randint(1, 4))] if rng.random() < 0.25 else []) + \
                  [("p", [rng.randint(5, 20) for _ in range(rng.randint(1, 3))])]
        src = "\n\n".join(render_block("en", b) for b in segment)
    dst = "\n\n".join(render_block(lang, b) for b in segment)
    custom_id = f"req-{(i + 2) // 3}-{lang}"
    request = {"custom_id": custom_id, "method": "POST", "url": "/v1/chat/completions",
               "body": {"model": model.rsplit("-20", 1)[0], "temperature": (0, 0.2, 0.3)[i % 3],
                        "messages": [{"role": "system", "content": PROMPTS[i % 3] + LANG_NAMES[lang] + RULES[(i // 3) % 4]},
                                     {"role": "user", "content": src}]}}
    response = {"id": "batch_req_" + md5("r" + str(i))[:24], "custom_id": custom_id,
                "response": {"status_code": 200, "request_id": md5("q" + str(i)),
                             "body": {"id": "chatcmpl-" + md5("c" + str(i))[:29], "object": "chat.completion",
                                      "created": 1767225600 + i * 3, "model": model,
                                      "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None,
                                                   "message": {"role": "assistant", "content": dst, "refusal": None}}],
                                      "usage": {"prompt_tokens": 40 + len(src) // 4, "completion_tokens": len(dst) // 4,
                                                "total_tokens": 40 + (len(src) + len(dst)) // 4},
                                      "system_fingerprint": "fp_" + md5("f" + str(i // 1000))[:10]}},
                "error": None}
    out.write(copy_row(1 + i // 100, custom_id, json.dumps(request, ensure_ascii=False),
                       json.dumps(response, ensure_ascii=False), "completed"))
out.write("\\.\nVACUUM ANALYZE;\n")
