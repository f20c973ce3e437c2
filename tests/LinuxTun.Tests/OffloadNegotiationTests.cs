using RouterHost.Linux;
using static RouterHost.Plugins.LinuxTun.Interop.Tun;

namespace RouterHost.Plugins.LinuxTun.Tests;

public sealed class OffloadNegotiationTests
{
    private const uint Tso = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN;
    private const uint Uso = TUN_F_USO4 | TUN_F_USO6;

    [Fact]
    public void A_kernel_that_accepts_everything_gets_checksums_TSO_with_ECN_and_USO()
    {
        var asked = new List<uint>();
        TunOffloads offloads = TunDevice.NegotiateOffloads(f => { asked.Add(f); return 0; }, tso: true, uso: true);
        Assert.Equal(Tso | Uso, offloads.Flags);
        Assert.True(offloads.Tso && offloads.Uso);
        Assert.Single(asked);
    }

    [Fact]
    public void A_kernel_without_USO_falls_back_to_TSO_only()
    {
        var asked = new List<uint>();
        TunOffloads offloads = TunDevice.NegotiateOffloads(f => { asked.Add(f); return (f & Uso) != 0 ? Errno.EINVAL : 0; }, tso: true, uso: true);
        Assert.Equal(Tso, offloads.Flags);
        Assert.False(offloads.Uso);
        Assert.Equal([Tso | Uso, Tso], asked);
    }

    [Fact]
    public void A_kernel_refusing_ECN_too_falls_back_further()
    {
        TunOffloads offloads = TunDevice.NegotiateOffloads(f => (f & (Uso | TUN_F_TSO_ECN)) != 0 ? Errno.EINVAL : 0, tso: true, uso: true);
        Assert.Equal(TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6, offloads.Flags);
    }

    [Fact]
    public void A_kernel_refusing_every_offload_leaves_a_plain_virtio_TUN()
    {
        var asked = new List<uint>();
        TunOffloads offloads = TunDevice.NegotiateOffloads(f => { asked.Add(f); return f == 0 ? 0 : Errno.EINVAL; }, tso: true, uso: true);
        Assert.True(offloads.VnetHeader);
        Assert.Equal(0u, offloads.Flags);
        Assert.Equal(0u, asked[^1]);
        Assert.Equal("virtio header only", offloads.ToString());
    }

    [Fact]
    public void Offloads_switched_off_ask_for_nothing()
    {
        var asked = new List<uint>();
        TunOffloads offloads = TunDevice.NegotiateOffloads(f => { asked.Add(f); return 0; }, tso: false, uso: false);
        Assert.Equal(0u, offloads.Flags);
        Assert.Equal([0u], asked);
    }

    [Fact]
    public void Any_error_but_EINVAL_is_reported_with_its_errno()
    {
        var ex = Assert.Throws<LinuxException>(() => TunDevice.NegotiateOffloads(_ => Errno.EPERM, tso: true, uso: false));
        Assert.Equal(Errno.EPERM, ex.ErrorNumber);
        Assert.Contains("TUNSETOFFLOAD", ex.Message, StringComparison.Ordinal);
    }
}
