# frozen_string_literal: true

# Puma in cluster mode: the master boots the app once (preload_app!) and forks the workers, which
# share the booted code. The Supportability initializer runs in the master and opens nothing; each
# worker opens its own gRPC channel at its first call. Never call the service in the master.
#
#   puma -C config/puma.rb                     # binds PORT (default 3000); -b tcp://... overrides
workers Integer(ENV.fetch("WEB_CONCURRENCY", 2))
threads_count = Integer(ENV.fetch("RAILS_MAX_THREADS", 5))
threads threads_count, threads_count
port Integer(ENV.fetch("PORT", 3000))
environment ENV.fetch("RAILS_ENV", "development")
preload_app!

# No-ops with Debian's grpc 1.51; with grpc 1.57+ they let gRPC survive the fork (see the gem's README).
before_fork { Supportability.before_fork }
on_worker_boot { Supportability.after_fork }
after_worker_fork { Supportability.after_fork }
