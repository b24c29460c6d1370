# frozen_string_literal: true

require "test_helper"
require_relative "support/server_process"

# TriageCaseJob through ActiveJob's Sidekiq adapter: enqueued here into a real Redis, performed by a
# real `sidekiq` process (2 threads) that boots the app, calls the real service and records the
# decision in the cache directory this process reads.
class SidekiqTest < ActiveSupport::TestCase
  include SupportCases

  TIMEOUT = 40

  test "a job enqueued through Sidekiq routes the case in the sidekiq process" do
    redis_port = ServerProcess.free_port
    redis = ServerProcess.start("redis-server", "--port", redis_port.to_s, "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no")
    redis.wait_for("Redis ready", timeout: 10) { |log| log.include?("Ready to accept connections") }
    redis_url = "redis://127.0.0.1:#{redis_port}/0"
    sidekiq = ServerProcess.start("sidekiq", "-r", Rails.root.to_s, "-e", "production", "-c", "2", "-t", "5",
                                  env: { "REDIS_URL" => redis_url })

    Redis.silence_deprecations = true # Sidekiq 6.4 calls Redis#sadd the way redis-rb 4.8 deprecates
    Sidekiq.configure_client { |config| config.redis = { url: redis_url } }
    with_queue_adapter(TriageCaseJob, :sidekiq) do
      TriageCaseJob.perform_later(payout_case("sidekiq-1").with_indifferent_access)
    end

    decision = sidekiq.wait_for("the decision on case sidekiq-1", timeout: TIMEOUT) do
      Rails.cache.read("triage/sidekiq-1")
    end
    assert decision["queue"].present?, decision
    assert decision["model_version"].present?, decision
    # Sidekiq logs "done" after the job's last line has run, so after the cache write above.
    sidekiq.wait_for("Sidekiq's done line for the job", timeout: TIMEOUT) { |log| log.match?(/TriageCaseJob.*done/) }
  ensure
    sidekiq&.stop
    redis&.stop
  end

  private

  def with_queue_adapter(job_class, adapter)
    previous = job_class.queue_adapter
    job_class.queue_adapter = adapter
    yield
  ensure
    job_class.queue_adapter = previous
  end
end
