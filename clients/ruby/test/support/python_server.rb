# frozen_string_literal: true

require "fileutils"
require "tmpdir"
require_relative "repo"

# The real service, `python -m supportability serve`, on a free loopback port, serving the promoted
# model of $SUPPORTABILITY_REGISTRY (default <repo>/var/registry, which `make test` fills), with an
# online store (prediction log and outcomes) of its own: a SQLite file in its temporary directory.
# Starting it raises when it can't serve within START_TIMEOUT: the integration tests then fail,
# they never skip.
class PythonServer
  START_TIMEOUT = 60
  STOP_TIMEOUT = 15

  attr_reader :target, :dir

  # Extra `serve` options, e.g. ["--token-file", path]; the block, if any, gets the server's
  # temporary directory first (to write certificates or token files into).
  def self.start(*args)
    server = new
    server.start(*(block_given? ? yield(server.dir) : args))
    server
  end

  def self.registry
    ENV.fetch("SUPPORTABILITY_REGISTRY") { (Repo.root / "var/registry").to_s }
  end

  def initialize
    @dir = Dir.mktmpdir("supportability-server-")
  end

  def start(*args)
    ready = File.join(@dir, "ready")
    @log = File.join(@dir, "server.log")
    python = (Repo.root / ".venv/bin/python").to_s
    @pid = Process.spawn(python, "-m", "supportability", "serve", "--address", "127.0.0.1:0",
                         "--registry", PythonServer.registry, "--ready-file", ready,
                         "--store", "sqlite:///#{File.join(@dir, 'online.db')}", *args,
                         chdir: Repo.root.to_s, out: @log, err: %i[child out])
    @target = wait_until_ready(ready)
  end

  def stop
    return unless @pid

    Process.kill(:TERM, @pid)
    unless wait_for_exit(STOP_TIMEOUT)
      Process.kill(:KILL, @pid)
      Process.wait(@pid)
    end
    @pid = nil
  rescue Errno::ESRCH, Errno::ECHILD
    @pid = nil
  ensure
    FileUtils.remove_entry(@dir, true)
  end

  private

  def wait_until_ready(ready)
    deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + START_TIMEOUT
    loop do
      address = File.exist?(ready) ? File.read(ready).strip : ""
      return address if address.match?(/\A127\.0\.0\.1:\d+\z/)

      if wait_for_exit(0) || Process.clock_gettime(Process::CLOCK_MONOTONIC) > deadline
        log = File.exist?(@log) ? File.read(@log) : "(no log)"
        stop
        raise "the Python server did not start (registry #{PythonServer.registry}); its log:\n#{log}"
      end
      sleep 0.05
    end
  end

  # Whether the server exited within `seconds`.
  def wait_for_exit(seconds)
    deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + seconds
    loop do
      return true if Process.wait(@pid, Process::WNOHANG)
      return false if Process.clock_gettime(Process::CLOCK_MONOTONIC) >= deadline

      sleep 0.05
    end
  end
end
