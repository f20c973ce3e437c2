using RouterHost.Plugins.Wintun.Internal;
using RouterHost.Plugins.Wintun.Tests.Support;

namespace RouterHost.Plugins.Wintun.Tests;

public sealed class SessionGateTests
{
    [Fact]
    public void Threads_enter_and_leave_until_closing_begins_then_entering_fails()
    {
        var gate = new SessionGate();
        Assert.True(gate.TryEnter());
        Assert.True(gate.TryEnter());
        Assert.Equal(2, gate.Inside);
        gate.Exit();
        gate.Exit();

        Assert.True(gate.CloseAndWait(TimeSpan.FromSeconds(1)));

        Assert.True(gate.IsClosing);
        Assert.False(gate.TryEnter());
        Assert.Equal(0, gate.Inside);
    }

    [Fact]
    public void Closing_waits_for_the_thread_inside_and_reports_one_that_does_not_leave()
    {
        var gate = new SessionGate();
        Assert.True(gate.TryEnter());

        Assert.False(gate.CloseAndWait(TimeSpan.Zero));
        Assert.Equal(1, gate.Inside);
        Assert.False(gate.TryEnter());

        var close = new BackgroundCall<bool>(() => gate.CloseAndWait(TimeSpan.FromSeconds(30)));
        gate.Exit();
        Assert.True(close.Result());
    }

    [Fact]
    public void Many_threads_entering_and_leaving_while_the_gate_closes_leave_it_empty()
    {
        var gate = new SessionGate();
        int entered = 0;
        BackgroundCall<bool>[] workers = [.. Enumerable.Range(0, 4).Select(_ => new BackgroundCall<bool>(() =>
        {
            while (gate.TryEnter())
            {
                Interlocked.Increment(ref entered);
                gate.Exit();
            }

            return true;
        }))];
        SpinWait.SpinUntil(() => Volatile.Read(ref entered) > 1000, TimeSpan.FromSeconds(30));

        Assert.True(gate.CloseAndWait(TimeSpan.FromSeconds(30)));

        Assert.All(workers, w => Assert.True(w.Result()));
        Assert.Equal(0, gate.Inside);
    }
}
