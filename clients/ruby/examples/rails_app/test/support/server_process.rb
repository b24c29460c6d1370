# frozen_string_literal: true

require "fileutils"
require "socket"
require "tmpdir"

# A server that a test starts (Puma, Sidekiq, Redis): its own process group, its output in a log
# file, every wait bounded. `stop` sends SIGTERM, waits, then SIGKILLs the whole group, so that
# no Puma worker or Sidekiq thread outlives the test.
class ServerProcess
  STOP_TIMEOUT = 10

  # A loopback port that was free a moment ago (for servers that can't bind port 0 and report it).
  def self.free_port
    server = TCPServer.new("127.0.0.1", 0)
    server.addr[1]
  ensure
    server&.close
  end

  def self.start(*command, env: {}, chdir: Rails.root.to_s)
    new(command, env, chdir)
  end

  def initialize(command, env, chdir)
    @name = File.basename(command.first)
    @dir = Dir.mktmpdir("#{@name}-")
    @log_path = File.join(@dir, "output.log")
    @pid = Process.spawn(env, *command, chdir: chdir, pgroup: true, in: File::NULL, out: @log_path,
                                                   err: %i[child out])
  end

  def log
    File.exist?(@log_path) ? File.read(@log_path) : ""
  end

  # Polls the block with the output so far until it returns something truthy, and returns that.
  # Raises with the output when the process exits first or `timeout` seconds pass.
  def wait_for(what, timeout:)
    deadline = now + timeout
    loop do
      result = yield(log)
      return result if result
      raise "#{@name} exited (#{@status}) before #{what}; its output:\n#{log}" if exited?
      raise "#{@name}: no #{what} within #{timeout} s; its output:\n#{log}" if now > deadline

      sleep 0.05
    end
  end

  def stop
    return unless @pid

    Process.kill(:TERM, @pid) unless exited?
    deadline = now + STOP_TIMEOUT
    sleep 0.05 until exited? || now > deadline
  rescue Errno::ESRCH
    nil
  ensure
    kill_group
    FileUtils.remove_entry(@dir, true)
  end

  private

  def exited?
    return true if @status

    _, @status = Process.wait2(@pid, Process::WNOHANG)
    !@status.nil?
  rescue Errno::ECHILD
    @status = :reaped
  end

  # Whatever is left of the group (the process itself if SIGTERM wasn't enough, or its children).
  def kill_group
    Process.kill(:KILL, -@pid)
    Process.wait(@pid) unless exited?
  rescue Errno::ESRCH, Errno::ECHILD
    nil
  end

  def now
    Process.clock_gettime(Process::CLOCK_MONOTONIC)
  end
end
