using System.Net;
using RouterHost.WireGuard.Uapi;

namespace RouterHost.WireGuard.Tests.Uapi;

/// <summary>A device for protocol and server tests: a fixed snapshot; every set is recorded and answered with <see cref="Answer"/>.</summary>
internal sealed class FakeUapiDevice : IUapiDevice
{
    public static readonly byte[] PrivateKey = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
    public static readonly byte[] PeerKey = Enumerable.Range(100, 32).Select(i => (byte)i).ToArray();

    public UapiDeviceSnapshot Device { get; set; } = new(
        PrivateKey,
        51820,
        0,
        [new UapiPeerSnapshot(PeerKey, new byte[32], new IPEndPoint(IPAddress.Parse("192.0.2.7"), 51821), 1700000000, 123000000, 1000, 2000, 25, ["10.2.0.0/16", "fd02::/64"])]);

    public List<UapiSetRequest> Applied { get; } = [];

    public UapiResult Answer { get; set; } = UapiResult.Success;

    public int Snapshots;

    public UapiDeviceSnapshot Snapshot()
    {
        Interlocked.Increment(ref Snapshots);
        return Device;
    }

    public UapiResult Apply(UapiSetRequest request)
    {
        lock (Applied)
        {
            Applied.Add(request);
        }

        return Answer;
    }
}
