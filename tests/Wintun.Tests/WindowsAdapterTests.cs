using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Runtime.Versioning;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using RouterHost.Abstractions;
using RouterHost.Plugins.Wintun.Internal;
using RouterHost.Plugins.Wintun.Tests.Support;
using static RouterHost.Plugins.Wintun.Interop.IpHelper;

namespace RouterHost.Plugins.Wintun.Tests;

/// <summary>
/// The plugin on a real Wintun adapter. These need Windows, wintun.dll beside the plugin (or in System32) and an
/// elevated process; anywhere else they skip, saying which of those is missing.
/// </summary>
public sealed unsafe class WindowsAdapterTests
{
    private static void RequireWintun()
    {
        Assert.SkipUnless(OperatingSystem.IsWindows(), "needs Windows: the Wintun driver exists only there");
        Assert.SkipWhen(WintunLibrary.UnsupportedReason is not null, WintunLibrary.UnsupportedReason ?? string.Empty);
        Assert.SkipUnless(IsElevated(), "needs an elevated (administrator) process to create Wintun adapters");
    }

    [Fact]
    public void On_Windows_the_IP_Helper_initializers_write_no_byte_past_our_struct_sizes()
    {
        Assert.SkipUnless(OperatingSystem.IsWindows(), "needs Windows: iphlpapi.dll exists only there");
        CheckInitializer(sizeof(MIB_UNICASTIPADDRESS_ROW), p => InitializeUnicastIpAddressEntry((MIB_UNICASTIPADDRESS_ROW*)p));
        CheckInitializer(sizeof(MIB_IPFORWARD_ROW2), p => InitializeIpForwardEntry((MIB_IPFORWARD_ROW2*)p));
        CheckInitializer(sizeof(MIB_IPINTERFACE_ROW), p => InitializeIpInterfaceEntry((MIB_IPINTERFACE_ROW*)p));
    }

    [Fact]
    public void On_Windows_an_adapter_is_created_configured_carries_a_datagram_and_is_removed_at_dispose()
    {
        RequireWintun();
        if (!OperatingSystem.IsWindows())
        {
            return;
        }

        string name = "RouterHost test " + Guid.NewGuid().ToString("N")[..6];
        var data = new Dictionary<string, string?>
        {
            ["Interfaces:wt0:Settings:AdapterName"] = name,
            ["Interfaces:wt0:Settings:Mtu"] = "1400",
            ["Interfaces:wt0:Settings:Addresses:0"] = "10.251.0.1/24",
        };
        IConfigurationSection section = new ConfigurationBuilder().AddInMemoryCollection(data).Build().GetSection("Interfaces:wt0:Settings");
        var plugin = new WintunBackendPlugin();
        Assert.Empty(plugin.Validate(section));

        using (IContainer container = plugin.Create(new BackendContext("wt0", section, NullLoggerFactory.Instance, 1, 64)))
        {
            NetworkInterface adapter = NetworkInterface.GetAllNetworkInterfaces().Single(n => n.Name == name);
            Assert.Equal(1400, adapter.GetIPProperties().GetIPv4Properties().Mtu);
            Assert.Contains(adapter.GetIPProperties().UnicastAddresses, a => a.Address.Equals(IPAddress.Parse("10.251.0.1")));

            // A datagram to a host on the adapter's subnet leaves through the adapter: the queue reads it.
            IQueue queue = Assert.Single(container.Queues);
            var batch = new PacketBatch(64);
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            socket.Bind(new IPEndPoint(IPAddress.Parse("10.251.0.1"), 0));
            bool seen = false;
            for (int attempt = 0; attempt < 50 && !seen; attempt++)
            {
                socket.SendTo("routerhost"u8.ToArray(), new IPEndPoint(IPAddress.Parse("10.251.0.2"), 9));
                Assert.True(new BackgroundCall<bool>(() => queue.Read(batch)).Result());
                for (int i = 0; i < batch.Count; i++)
                {
                    seen |= batch[i].Data.Length == 38 && batch[i].Data[9] == 17;
                }
            }

            Assert.True(seen, "no UDP datagram from the stack reached the queue");
            container.Close();
        }

        Assert.DoesNotContain(NetworkInterface.GetAllNetworkInterfaces(), n => n.Name == name);
    }

    private static void CheckInitializer(int size, Action<IntPtr> initialize)
    {
        const int Guard = 64;
        byte[] buffer = new byte[size + Guard];
        buffer.AsSpan().Fill(0xA5);
        fixed (byte* p = buffer)
        {
            initialize((IntPtr)p);
        }

        Assert.All(buffer[size..], b => Assert.Equal(0xA5, b));
    }

    private static bool IsElevated() => OperatingSystem.IsWindows() && IsElevatedOnWindows();

    [SupportedOSPlatform("windows")]
    private static bool IsElevatedOnWindows()
    {
        using var identity = System.Security.Principal.WindowsIdentity.GetCurrent();
        return new System.Security.Principal.WindowsPrincipal(identity).IsInRole(System.Security.Principal.WindowsBuiltInRole.Administrator);
    }
}
