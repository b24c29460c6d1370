# frozen_string_literal: true

require "json"
require "net/http"
require "test_helper"
require "support/cases"
require "support/python_server"

# A server run with `--workers 2`: the kernel gives each connection to one worker, so one
# connection reaches one worker and `connections:` spreads a process's calls over both. Each
# worker counts the calls it answered on a /metrics port of its own.
class WorkersTest < Minitest::Test
  SERVER = PythonServer.start("--workers", "2", "--store", "none", "--metrics-address", "127.0.0.1:0")
  Minitest.after_run { SERVER.stop }
  CALLS = 60
  OK_CALLS = 'supportability_rpc_calls_total{code="OK",method="PredictCase"} '

  def test_a_pool_of_connections_reaches_every_worker
    # 16 connections all hashed to one of 2 workers: probability 2**-15.
    served = served_by_each_worker { Supportability::Client.new(target: SERVER.target, connections: 16) }
    assert_equal CALLS, served.sum
    assert(served.all?(&:positive?), served.inspect)
  end

  def test_one_connection_reaches_one_worker
    served = served_by_each_worker { Supportability::Client.new(target: SERVER.target) }
    assert_equal [0, CALLS], served.sort
  end

  private

  def served_by_each_worker
    before = metrics_ports.map { |port| served_calls(port) }
    client = yield
    CALLS.times { client.predict_case(support_case: Cases.payout) }
    client.close
    metrics_ports.map { |port| served_calls(port) }.zip(before).map { |after, start| after - start }
  end

  def metrics_ports
    File.readlines(File.join(SERVER.dir, "server.log"))
        .select { |line| line.start_with?("{") }
        .map { |line| JSON.parse(line) }
        .select { |entry| entry["message"] == "serving" }
        .map { |entry| entry["metrics_port"] }
  end

  def served_calls(port)
    page = Net::HTTP.get(URI("http://127.0.0.1:#{port}/metrics"))
    line = page.lines.find { |l| l.start_with?(OK_CALLS) }
    line ? line.split.last.to_f.round : 0
  end
end
