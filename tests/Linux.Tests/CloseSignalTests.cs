namespace RouterHost.Linux.Tests;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class CloseSignalTests
{
    [Fact]
    public void Close_marks_the_queue_closed_and_wakes_a_reader_polling_its_eventfd()
    {
        using var data = new EventFd();
        using var closing = new CloseSignal();
        Assert.False(closing.IsClosed);

        closing.Close();
        closing.Close();

        Assert.True(closing.IsClosed);
        Assert.Equal(ReadinessOutcome.Closed, ReadinessWait.Wait(data.Handle, closing.Event, ReadinessWait.Infinite).Outcome);
    }

    [Fact]
    public void Only_the_first_dispose_begins_and_it_closes_first()
    {
        using var closing = new CloseSignal();

        Assert.True(closing.TryBeginDispose());
        Assert.True(closing.IsClosed);
        Assert.False(closing.TryBeginDispose());
    }

    [Fact]
    public void Close_after_dispose_is_harmless()
    {
        var closing = new CloseSignal();
        Assert.True(closing.TryBeginDispose());
        closing.Dispose();

        closing.Close();

        Assert.True(closing.Event.Handle.IsClosed);
    }
}
