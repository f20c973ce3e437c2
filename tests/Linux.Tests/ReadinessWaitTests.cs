using System.Runtime.InteropServices;
using RouterHost.Linux.Tests.Support;
using static RouterHost.Linux.Interop.Libc;

namespace RouterHost.Linux.Tests;

// Not in parallel with other tests: one closes a descriptor and polls its number, which another test's open could reuse.
[Collection(nameof(ReadinessWaitTests))]
[CollectionDefinition(nameof(ReadinessWaitTests), DisableParallelization = true)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ReadinessWaitTests
{
    // Long enough never to pass on a healthy machine: it only turns a broken wait into a failure instead of a hang.
    private const int GuardMilliseconds = 30_000;

    [Fact]
    public void Readable_with_POLLIN_when_the_descriptor_has_data()
    {
        using var data = new EventFd();
        using var closed = new EventFd();
        data.Signal();

        Readiness wait = ReadinessWait.Wait(data.Handle, closed, ReadinessWait.Infinite);

        Assert.Equal(new Readiness(ReadinessOutcome.Readable, POLLIN, 0), wait);
    }

    [Fact]
    public void Closed_when_the_close_eventfd_is_signalled_even_with_data_waiting()
    {
        using var data = new EventFd();
        using var closed = new EventFd();
        data.Signal();
        closed.Signal();

        Readiness wait = ReadinessWait.Wait(data.Handle, closed, ReadinessWait.Infinite);

        Assert.Equal(new Readiness(ReadinessOutcome.Closed, 0, 0), wait);
    }

    [Fact]
    public void A_reader_blocked_without_a_timeout_wakes_as_Closed_when_another_thread_signals_close()
    {
        using var data = new EventFd();
        using var closed = new EventFd();
        using var reader = new BlockedReader(data, closed);
        reader.WaitUntilInPoll();

        closed.Signal();

        Assert.Equal(new Readiness(ReadinessOutcome.Closed, 0, 0), reader.Result());
    }

    [Fact]
    public void TimedOut_when_nothing_is_ready_within_the_timeout()
    {
        using var data = new EventFd();
        using var closed = new EventFd();

        Assert.Equal(new Readiness(ReadinessOutcome.TimedOut, 0, 0), ReadinessWait.Wait(data.Handle, closed, 0));
        Assert.Equal(new Readiness(ReadinessOutcome.TimedOut, 0, 0), ReadinessWait.Wait(data.Handle, closed, 20));
    }

    [Fact]
    public void Error_with_POLLNVAL_when_the_descriptor_was_closed_under_its_reader()
    {
        var data = new EventFd();
        using var closed = new EventFd();
        int number = data.Handle.Fd;
        data.Dispose();
        Assert.False(File.Exists($"/proc/self/fd/{number}"));

        Readiness wait = ReadinessWait.Wait(data.Handle, closed, GuardMilliseconds);

        Assert.Equal(new Readiness(ReadinessOutcome.Error, POLLNVAL, 0), wait);
    }

    [Fact]
    public void A_poll_interrupted_by_a_handled_signal_is_retried_and_still_reports_the_data()
    {
        using var handled = new ManualResetEventSlim();
        using var registration = PosixSignalRegistration.Create(PosixSignal.SIGWINCH, _ => handled.Set());
        using var data = new EventFd();
        using var closed = new EventFd();
        using var reader = new BlockedReader(data, closed);
        reader.WaitUntilInPoll();

        // The kernel ends a poll whose thread runs a signal handler with EINTR (signal(7): never restarted).
        Assert.Equal(0, TestInterop.tgkill(Environment.ProcessId, reader.ThreadId, TestInterop.SIGWINCH));
        Assert.True(handled.Wait(GuardMilliseconds, TestContext.Current.CancellationToken), "the SIGWINCH handler never ran");
        reader.WaitUntilInPoll();
        data.Signal();

        Assert.Equal(new Readiness(ReadinessOutcome.Readable, POLLIN, 0), reader.Result());
    }

    /// <summary>A thread blocked in <see cref="ReadinessWait.Wait"/> without a timeout.</summary>
    private sealed class BlockedReader : IDisposable
    {
        private readonly Thread _thread;
        private readonly ManualResetEventSlim _started = new();
        private volatile int _threadId;
        private Readiness _result;

        public BlockedReader(EventFd data, EventFd closed)
        {
            _thread = new Thread(() =>
            {
                _threadId = TestInterop.gettid();
                _started.Set();
                _result = ReadinessWait.Wait(data.Handle, closed, ReadinessWait.Infinite);
            })
            { IsBackground = true, Name = "blocked reader" };
            _thread.Start();
            Assert.True(_started.Wait(GuardMilliseconds), "the reader thread never started");
        }

        public int ThreadId => _threadId;

        /// <summary>
        /// Returns once the thread sits in the <c>poll</c> system call (its <c>/proc</c> syscall line names it), so
        /// what the test does next happens to a blocked reader. Fails if the thread ended instead.
        /// </summary>
        public void WaitUntilInPoll()
        {
            string expected = RuntimeInformation.ProcessArchitecture switch
            {
                Architecture.X64 => "7",    // poll
                Architecture.Arm64 => "73", // ppoll: glibc's poll there
                Architecture other => throw new PlatformNotSupportedException($"no poll syscall number known for {other}"),
            };
            var spin = new SpinWait();
            long deadline = Environment.TickCount64 + GuardMilliseconds;
            while (_thread.IsAlive && Environment.TickCount64 < deadline)
            {
                string line = File.ReadAllText($"/proc/self/task/{_threadId}/syscall");
                if (line.Split(' ')[0] == expected)
                {
                    return;
                }

                spin.SpinOnce();
            }

            Assert.Fail(_thread.IsAlive ? "the reader never blocked in poll" : $"the reader returned {_result} instead of blocking");
        }

        public Readiness Result()
        {
            Assert.True(_thread.Join(GuardMilliseconds), "the reader is still blocked");
            return _result;
        }

        public void Dispose() => _started.Dispose();
    }
}
