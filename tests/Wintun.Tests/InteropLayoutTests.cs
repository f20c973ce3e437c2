using System.Runtime.CompilerServices;
using static RouterHost.Plugins.Wintun.Interop.IpHelper;

namespace RouterHost.Plugins.Wintun.Tests;

/// <summary>
/// The structs passed to the IP Helper API have Windows' x64 sizes and field offsets. The expected numbers are
/// netioapi.h's layouts (Windows SDK) as WireGuard's Windows client asserts them for the same structs
/// (wireguard-windows, tunnel/winipcfg/types_test.go), plus ws2def.h/ws2ipdef.h for the socket addresses.
/// </summary>
public sealed unsafe class InteropLayoutTests
{
    private static int Offset<TStruct, TField>(ref TStruct s, ref TField field)
        where TStruct : struct
        where TField : struct =>
        (int)Unsafe.ByteOffset(ref Unsafe.As<TStruct, byte>(ref s), ref Unsafe.As<TField, byte>(ref field));

    [Fact]
    public void NET_LUID_SOCKADDR_IN_SOCKADDR_IN6_SOCKADDR_INET_and_IP_ADDRESS_PREFIX_have_Windows_sizes()
    {
        Assert.Equal(8, sizeof(NET_LUID));
        Assert.Equal(16, sizeof(SOCKADDR_IN));
        Assert.Equal(28, sizeof(SOCKADDR_IN6));
        Assert.Equal(28, sizeof(SOCKADDR_INET));
        Assert.Equal(32, sizeof(IP_ADDRESS_PREFIX));
    }

    [Fact]
    public void Socket_address_fields_are_at_Windows_offsets()
    {
        SOCKADDR_IN v4 = default;
        Assert.Equal(0, Offset(ref v4, ref v4.sin_family));
        Assert.Equal(2, Offset(ref v4, ref v4.sin_port));
        Assert.Equal(4, (int)(v4.sin_addr - (byte*)&v4));
        Assert.Equal(8, (int)(v4.sin_zero - (byte*)&v4));

        SOCKADDR_IN6 v6 = default;
        Assert.Equal(0, Offset(ref v6, ref v6.sin6_family));
        Assert.Equal(2, Offset(ref v6, ref v6.sin6_port));
        Assert.Equal(4, Offset(ref v6, ref v6.sin6_flowinfo));
        Assert.Equal(8, (int)(v6.sin6_addr - (byte*)&v6));
        Assert.Equal(24, Offset(ref v6, ref v6.sin6_scope_id));

        SOCKADDR_INET inet = default;
        Assert.Equal(0, Offset(ref inet, ref inet.si_family));
        Assert.Equal(0, Offset(ref inet, ref inet.Ipv4));
        Assert.Equal(0, Offset(ref inet, ref inet.Ipv6));

        IP_ADDRESS_PREFIX prefix = default;
        Assert.Equal(0, Offset(ref prefix, ref prefix.Prefix));
        Assert.Equal(28, Offset(ref prefix, ref prefix.PrefixLength));
    }

    [Fact]
    public void MIB_UNICASTIPADDRESS_ROW_is_80_bytes_with_every_field_at_its_Windows_offset()
    {
        MIB_UNICASTIPADDRESS_ROW r = default;
        Assert.Equal(80, sizeof(MIB_UNICASTIPADDRESS_ROW));
        Assert.Equal(0, Offset(ref r, ref r.Address));
        Assert.Equal(32, Offset(ref r, ref r.InterfaceLuid));
        Assert.Equal(40, Offset(ref r, ref r.InterfaceIndex));
        Assert.Equal(44, Offset(ref r, ref r.PrefixOrigin));
        Assert.Equal(48, Offset(ref r, ref r.SuffixOrigin));
        Assert.Equal(52, Offset(ref r, ref r.ValidLifetime));
        Assert.Equal(56, Offset(ref r, ref r.PreferredLifetime));
        Assert.Equal(60, Offset(ref r, ref r.OnLinkPrefixLength));
        Assert.Equal(61, Offset(ref r, ref r.SkipAsSource));
        Assert.Equal(64, Offset(ref r, ref r.DadState));
        Assert.Equal(68, Offset(ref r, ref r.ScopeId));
        Assert.Equal(72, Offset(ref r, ref r.CreationTimeStamp));
        Assert.Equal(4, sizeof(NL_DAD_STATE));
        Assert.Equal(4, sizeof(NL_PREFIX_ORIGIN));
    }

    [Fact]
    public void MIB_IPFORWARD_ROW2_is_104_bytes_with_every_field_at_its_Windows_offset()
    {
        MIB_IPFORWARD_ROW2 r = default;
        Assert.Equal(104, sizeof(MIB_IPFORWARD_ROW2));
        Assert.Equal(0, Offset(ref r, ref r.InterfaceLuid));
        Assert.Equal(8, Offset(ref r, ref r.InterfaceIndex));
        Assert.Equal(12, Offset(ref r, ref r.DestinationPrefix));
        Assert.Equal(40, Offset(ref r, ref r.DestinationPrefix.PrefixLength));
        Assert.Equal(44, Offset(ref r, ref r.NextHop));
        Assert.Equal(72, Offset(ref r, ref r.SitePrefixLength));
        Assert.Equal(76, Offset(ref r, ref r.ValidLifetime));
        Assert.Equal(80, Offset(ref r, ref r.PreferredLifetime));
        Assert.Equal(84, Offset(ref r, ref r.Metric));
        Assert.Equal(88, Offset(ref r, ref r.Protocol));
        Assert.Equal(92, Offset(ref r, ref r.Loopback));
        Assert.Equal(93, Offset(ref r, ref r.AutoconfigureAddress));
        Assert.Equal(94, Offset(ref r, ref r.Publish));
        Assert.Equal(95, Offset(ref r, ref r.Immortal));
        Assert.Equal(96, Offset(ref r, ref r.Age));
        Assert.Equal(100, Offset(ref r, ref r.Origin));
    }

    [Fact]
    public void MIB_IPINTERFACE_ROW_is_168_bytes_with_every_field_at_its_Windows_offset()
    {
        MIB_IPINTERFACE_ROW r = default;
        Assert.Equal(168, sizeof(MIB_IPINTERFACE_ROW));
        Assert.Equal(0, Offset(ref r, ref r.Family));
        Assert.Equal(8, Offset(ref r, ref r.InterfaceLuid));
        Assert.Equal(16, Offset(ref r, ref r.InterfaceIndex));
        Assert.Equal(20, Offset(ref r, ref r.MaxReassemblySize));
        Assert.Equal(24, Offset(ref r, ref r.InterfaceIdentifier));
        Assert.Equal(32, Offset(ref r, ref r.MinRouterAdvertisementInterval));
        Assert.Equal(36, Offset(ref r, ref r.MaxRouterAdvertisementInterval));
        Assert.Equal(40, Offset(ref r, ref r.AdvertisingEnabled));
        Assert.Equal(41, Offset(ref r, ref r.ForwardingEnabled));
        Assert.Equal(42, Offset(ref r, ref r.WeakHostSend));
        Assert.Equal(43, Offset(ref r, ref r.WeakHostReceive));
        Assert.Equal(44, Offset(ref r, ref r.UseAutomaticMetric));
        Assert.Equal(45, Offset(ref r, ref r.UseNeighborUnreachabilityDetection));
        Assert.Equal(46, Offset(ref r, ref r.ManagedAddressConfigurationSupported));
        Assert.Equal(47, Offset(ref r, ref r.OtherStatefulConfigurationSupported));
        Assert.Equal(48, Offset(ref r, ref r.AdvertiseDefaultRoute));
        Assert.Equal(52, Offset(ref r, ref r.RouterDiscoveryBehavior));
        Assert.Equal(56, Offset(ref r, ref r.DadTransmits));
        Assert.Equal(60, Offset(ref r, ref r.BaseReachableTime));
        Assert.Equal(64, Offset(ref r, ref r.RetransmitTime));
        Assert.Equal(68, Offset(ref r, ref r.PathMtuDiscoveryTimeout));
        Assert.Equal(72, Offset(ref r, ref r.LinkLocalAddressBehavior));
        Assert.Equal(76, Offset(ref r, ref r.LinkLocalAddressTimeout));
        Assert.Equal(80, (int)((byte*)r.ZoneIndices - (byte*)&r));
        Assert.Equal(144, Offset(ref r, ref r.SitePrefixLength));
        Assert.Equal(148, Offset(ref r, ref r.Metric));
        Assert.Equal(152, Offset(ref r, ref r.NlMtu));
        Assert.Equal(156, Offset(ref r, ref r.Connected));
        Assert.Equal(157, Offset(ref r, ref r.SupportsWakeUpPatterns));
        Assert.Equal(158, Offset(ref r, ref r.SupportsNeighborDiscovery));
        Assert.Equal(159, Offset(ref r, ref r.SupportsRouterDiscovery));
        Assert.Equal(160, Offset(ref r, ref r.ReachableTime));
        Assert.Equal(164, Offset(ref r, ref r.TransmitOffload));
        Assert.Equal(165, Offset(ref r, ref r.ReceiveOffload));
        Assert.Equal(166, Offset(ref r, ref r.DisableDefaultRoutes));
    }

    [Fact]
    public void A_socket_address_built_for_a_row_holds_the_family_and_the_address_bytes_in_network_order()
    {
        SOCKADDR_INET v4 = Internal.AdapterIpConfiguration.SocketAddress(System.Net.IPAddress.Parse("10.1.2.3"));
        byte* b4 = (byte*)&v4;
        Assert.Equal(AF_INET, v4.si_family);
        Assert.Equal([10, 1, 2, 3], new ReadOnlySpan<byte>(b4 + 4, 4).ToArray());
        Assert.Equal(0, v4.Ipv4.sin_port);

        SOCKADDR_INET v6 = Internal.AdapterIpConfiguration.SocketAddress(System.Net.IPAddress.Parse("fd00::1"));
        byte* b6 = (byte*)&v6;
        Assert.Equal(AF_INET6, v6.si_family);
        Assert.Equal(0xFD, b6[8]);
        Assert.Equal(1, b6[23]);
        Assert.Equal(0u, v6.Ipv6.sin6_scope_id);
    }
}
