# frozen_string_literal: true

# Run as `ruby fork_scenario.rb <scenario> <target>` in a fresh process (one that has not used gRPC),
# like a Puma/Unicorn master: it configures the gem, maybe calls, forks a worker that calls, and
# prints what happened as JSON. The worker is killed if it takes longer than WORKER_TIMEOUT.
$LOAD_PATH.unshift(File.expand_path("../../lib", __dir__))
require "json"
require "supportability"
require_relative "cases"

WORKER_TIMEOUT = 15

def now
  Process.clock_gettime(Process::CLOCK_MONOTONIC)
end

def call(label)
  "#{label}: ok #{Supportability.client.predict_case(support_case: Cases.payout).top_queue}"
rescue Supportability::Error => e
  "#{label}: #{e.class}: #{e.message}"
end

# Forks a worker that calls the service; returns its report, or "hung".
def worker
  reader, writer = IO.pipe
  started = now
  pid = fork do
    reader.close
    writer.puts(call("worker"))
    writer.close
  end
  writer.close
  until Process.wait(pid, Process::WNOHANG)
    if now - started > WORKER_TIMEOUT
      Process.kill(:KILL, pid)
      Process.wait(pid)
      return { "report" => "hung", "seconds" => now - started }
    end
    sleep 0.02
  end
  { "report" => reader.read.strip, "exit" => Process.last_status.exitstatus, "seconds" => now - started }
end

scenario, target = ARGV
Supportability.configure do |config|
  config.target = target
  config.deadline = 5
end
result = {}
case scenario
when "configured" # what Puma preload does: require + configure (+ build the client) in the master
  Supportability.client
when "called"     # the master called the service before forking
  result["master"] = call("master")
when "foreign"    # something else in the master used gRPC before forking
  GRPC::Core::Channel.new(target, {}, :this_channel_is_insecure)
else
  abort "unknown scenario #{scenario}"
end
result["worker"] = worker
result["master_after"] = call("master")
puts JSON.generate(result)
