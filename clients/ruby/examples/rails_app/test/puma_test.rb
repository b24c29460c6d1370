# frozen_string_literal: true

require "test_helper"
require "net/http"
require_relative "support/server_process"

# The app under a real Puma in cluster mode (2 workers, preload_app!): booted and configured in the
# master, forked, then serving POST /triage from the workers against the real service.
class PumaTest < ActiveSupport::TestCase
  include SupportCases

  BOOT_TIMEOUT = 40

  test "preloaded workers answer with real predictions, from both workers" do
    with_puma("config/puma.rb", "test/support/served_by.ru") do |port, worker_pids|
      # Concurrent pairs of requests, at least 6, until both workers have answered (which worker
      # accepts a connection is up to Puma and the kernel).
      answers = []
      until (answers.size >= 6 && answers.map { |a| a[:pid] }.uniq.size >= 2) || answers.size >= 20
        case_ids = Array.new(2) { |i| "puma-#{answers.size + i}" }
        answers += case_ids.map { |id| Thread.new { post_case(port, payout_case(id)) } }.map(&:value)
      end

      answers.each do |answer|
        assert_equal 200, answer[:status], answer[:body]
        assert answer[:body]["queue"].present?, answer[:body]
        assert answer[:body]["probability"].between?(0, 1), answer[:body]
        assert answer[:body]["model_version"].present?, answer[:body]
      end
      assert_equal worker_pids.sort, answers.map { |a| a[:pid] }.uniq.sort,
                   "#{answers.size} answers should come from both workers"
    end
  end

  test "workers of a master that called the service before forking answer ForkError, fast" do
    with_puma("test/support/puma_master_calls.rb", "config.ru") do |port, _worker_pids, log|
      assert_match(/master called the service: \S+/, log)

      2.times do |i|
        answer = post_case(port, payout_case("forked-#{i}"))
        assert_equal 500, answer[:status], answer[:body]
        assert_equal "Supportability::ForkError", answer[:body]["reason"]
        assert_match(/forked from process \d+ that had already made a gRPC call/, answer[:body]["error"])
        assert_match(%r{don't call the service from initializers, preload code or the Puma/Unicorn master},
                     answer[:body]["error"])
      end
    end
  end

  private

  # Starts Puma (bound to port 0: it logs the port it got) and yields the port, the two workers'
  # pids once both have booted, and Puma's output so far. Stops Puma afterwards.
  def with_puma(config, rackup)
    puma = ServerProcess.start("puma", "-C", config, "-b", "tcp://127.0.0.1:0", rackup,
                               env: { "RAILS_ENV" => "production", "SUPPORTABILITY_DEADLINE" => "5" })
    port = puma.wait_for("listening port", timeout: BOOT_TIMEOUT) do |log|
      log[%r{Listening on http://127\.0\.0\.1:(\d+)}, 1]
    end
    worker_pids = puma.wait_for("2 booted workers", timeout: BOOT_TIMEOUT) do |log|
      pids = log.scan(/Worker \d+ \(PID: (\d+)\) booted/).flatten.uniq
      pids if pids.size == 2
    end
    yield Integer(port), worker_pids, puma.log
  ensure
    puma&.stop
  end

  def post_case(port, support_case)
    http = Net::HTTP.new("127.0.0.1", port)
    http.open_timeout = 5
    http.read_timeout = 15
    response = http.post("/triage", { case: support_case }.to_json, "Content-Type" => "application/json")
    body = response.content_type == "application/json" ? JSON.parse(response.body) : response.body
    { status: response.code.to_i, body: body, pid: response["X-Served-By"] }
  end
end
