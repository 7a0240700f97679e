# triptrip-platform: the commands a platform engineer types. `make help` lists them.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
export PATH := $(CURDIR)/.tools/bin:$(CURDIR)/.venv/bin:$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
ENV ?= local

.PHONY: help setup up down status local site verify check simulate timeline lint unit sanity integration integration-live molecule test bench clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

setup: ## Install the pinned tools and build the local platform's binaries (cached outside the repo)
	scripts/setup

up: setup ## Start the local platform (moto + control plane + kwok) on 127.0.0.1
	scripts/localenv up

down: ## Stop the local platform; nothing of ours keeps running or listening
	scripts/localenv down

status: ## Show what of the local platform runs
	scripts/localenv status

local: up site ## Set up, start the local platform and run site.yml against it

site: ## Run site.yml against inventories/$(ENV)
	ansible-playbook site.yml -i inventories/$(ENV)

verify: ## Read the platform back and assert it matches inventories/$(ENV)
	ansible-playbook playbooks/verify.yml -i inventories/$(ENV)

check: ## Plan: site.yml in --check --diff against inventories/$(ENV)
	ansible-playbook site.yml -i inventories/$(ENV) --check --diff

SIM_ENV ?= production staging
simulate: setup ## Capacity simulation of SIM_ENV at maximum sizes, on a control plane of its own (reports/<env>/)
	scripts/simulate $(SIM_ENV)

timeline: ## The API's scaling timeline against spec 1.2.1 for inventories/$(ENV) (reports/<env>/timeline.md)
	ansible-playbook playbooks/scaling_timeline.yml -i inventories/$(ENV)

# SIDE: a prefix for the commands of lint, unit and sanity (`make test` gives them a lower CPU priority).
SIDE ?=
lint: ## yamllint and ansible-lint (production profile)
	$(SIDE) yamllint --strict .
	$(SIDE) ansible-lint

# Two workers: the unit tests share nothing, and ansible-doc and the playbook syntax checks keep one core busy each.
UNIT_WORKERS ?= 2
unit: ## pytest unit tests (modules, filters, inventories, pins), UNIT_WORKERS at once
	$(SIDE) pytest -n $(UNIT_WORKERS) tests/unit

# No --skip-test: every sanity test runs offline once scripts/setup has cached pip and primed ansible-test's venvs.
sanity: ## ansible-test sanity on a copy of the collection (scripts/sanity; exceptions: tests/sanity/ignore-2.19.txt)
	$(SIDE) scripts/sanity

# Two workers by default: each takes whole platforms (a module, or the add-on package), see tests/integration/conftest.py.
INTEGRATION_WORKERS ?= 2
integration: ## pytest integration tests (start their own local platforms on other ports), INTEGRATION_WORKERS at once
	pytest -n $(INTEGRATION_WORKERS) --dist loadscope --durations=40 tests/integration

molecule: ## molecule's default scenario: create, converge, idempotence, check, verify, destroy
	molecule test -s default

# molecule's default scenario runs inside the integration tests (test_site_check_mode.py drives its steps on the
# platform it also checks drift on), so `test` does not run `molecule test` a second time.
# The four suites run side by side: the integration tests leave a core idle while their servers work and wait, and the
# other three fill it. Their outputs come whole when each ends; the integration tests' (a recursive make) as it runs.
# The integration tests are the longest suite, so the other three run at a lower CPU priority (nice 10): they take
# what the integration tests leave idle instead of slowing them.
test: setup ## Everything CI runs
	$(MAKE) --no-print-directory --output-sync=target --jobs=4 SIDE=nice\ -n\ 10 lint unit sanity integration-live

integration-live:
	+@$(MAKE) --no-print-directory --output-sync=none integration

BENCH_ARGS ?=
bench: ## Performance benchmark (not part of test): ours against the kubectl/helm floor, AWS calls, growth (bench/results/)
	bench/run $(BENCH_ARGS)

clean: down ## Stop the local platform and remove its state
	rm -rf .localenv
