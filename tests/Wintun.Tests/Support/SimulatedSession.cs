using Microsoft.Extensions.Logging.Abstractions;
using RouterHost.Plugins.Wintun.Internal;

namespace RouterHost.Plugins.Wintun.Tests.Support;

/// <summary>A <see cref="WintunQueue"/> on a session of a <see cref="SimulatedWintun"/> adapter.</summary>
internal sealed class SimulatedSession : IDisposable
{
    public SimulatedSession(int batchSize = 64, uint ringCapacity = 0x20000, TimeSpan? spin = null, long spinAboveBitsPerSecond = long.MaxValue, TimeProvider? time = null)
    {
        Wintun = new SimulatedWintun();
        Time = time ?? TimeProvider.System;
        nint adapter = Wintun.CreateAdapter("wt0", "Test", Guid.NewGuid(), out _);
        var adapterHandle = new SafeWintunAdapterHandle(Wintun, adapter);
        nint session = Wintun.StartSession(adapter, ringCapacity, out int error);
        Assert.Equal(0, error);
        var sessionHandle = new SafeWintunSessionHandle(Wintun, session, adapterHandle);

        // The session holds the adapter: it is closed once the session has ended.
        adapterHandle.Dispose();
        var readSpin = new ReadSpin(spin ?? TimeSpan.Zero, spinAboveBitsPerSecond, Time.TimestampFrequency);
        Queue = new WintunQueue(Wintun, sessionHandle, "wt0", batchSize, readSpin, Time, NullLogger.Instance);
        Batch = new RouterHost.Abstractions.PacketBatch(batchSize);
    }

    public SimulatedWintun Wintun { get; }

    public WintunQueue Queue { get; }

    public RouterHost.Abstractions.PacketBatch Batch { get; }

    public TimeProvider Time { get; }

    public void Dispose()
    {
        Queue.Dispose();
        Wintun.Dispose();
    }
}
