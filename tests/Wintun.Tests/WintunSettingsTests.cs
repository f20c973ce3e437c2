using System.Net;
using FsCheck;
using FsCheck.Fluent;
using RouterHost.Abstractions;
using RouterHost.Settings.TestSupport;

namespace RouterHost.Plugins.Wintun.Tests;

public sealed class WintunSettingsTests
{
    private static (WintunSettings Settings, List<ConfigurationProblem> Problems) Parse(Dictionary<string, string?> values)
    {
        var problems = new List<ConfigurationProblem>();
        return (WintunSettings.Parse(SettingsSection.Under("Interfaces:wt0:Settings", values), "wt0", problems), problems);
    }

    [Fact]
    public void Defaults_create_an_adapter_named_after_the_interface_with_8_MiB_rings_MTU_1500_and_a_short_spin_above_800_Mbit()
    {
        var (s, problems) = Parse([]);
        Assert.Empty(problems);
        Assert.Equal("wt0", s.AdapterName);
        Assert.Equal("RouterHost", s.TunnelType);
        Assert.Equal(WintunSettings.GuidFor("wt0"), s.AdapterGuid);
        Assert.Equal(WintunAdapterMode.Create, s.Mode);
        Assert.Equal(0x800000, s.RingCapacity);
        Assert.Equal(1500, s.Mtu);
        Assert.Empty(s.Addresses);
        Assert.Empty(s.Routes);
        Assert.Equal(TimeSpan.FromMicroseconds(12), s.ReadSpin);
        Assert.Equal(800_000_000, s.ReadSpinAboveBitsPerSecond);
    }

    [Fact]
    public void Every_key_is_read()
    {
        var (s, problems) = Parse(new()
        {
            ["AdapterName"] = "RouterHost WAN",
            ["TunnelType"] = "Lab",
            ["Guid"] = "{5F3E0B7C-8A51-4D6E-9C2F-1B7A4E6D0C93}",
            ["Mode"] = "Open",
            ["RingCapacity"] = "131072",
            ["Mtu"] = "1420",
            ["Addresses:0"] = "10.0.0.1/24",
            ["Addresses:1"] = "fd00::1/64",
            ["Routes:0"] = "10.1.2.3/16",
            ["Routes:1:Destination"] = "fd01::/48",
            ["Routes:1:Via"] = "fd00::2",
            ["Routes:1:Metric"] = "50",
            ["Routes:2"] = "192.0.2.7",
            ["ReadSpin:Microseconds"] = "0",
            ["ReadSpin:AboveMbps"] = "2000",
        });
        Assert.Empty(problems);
        Assert.Equal("RouterHost WAN", s.AdapterName);
        Assert.Equal("Lab", s.TunnelType);
        Assert.Equal(Guid.Parse("5f3e0b7c-8a51-4d6e-9c2f-1b7a4e6d0c93"), s.AdapterGuid);
        Assert.Equal(WintunAdapterMode.Open, s.Mode);
        Assert.Equal(0x20000, s.RingCapacity);
        Assert.Equal(1420, s.Mtu);
        Assert.Equal([new WintunAddress(IPAddress.Parse("10.0.0.1"), 24), new WintunAddress(IPAddress.Parse("fd00::1"), 64)], s.Addresses);
        Assert.Equal(new WintunRoute(IPAddress.Parse("10.1.0.0"), 16, null, 0), s.Routes[0]);
        Assert.Equal(new WintunRoute(IPAddress.Parse("fd01::"), 48, IPAddress.Parse("fd00::2"), 50), s.Routes[1]);
        Assert.Equal(32, s.Routes[2].PrefixLength);
        Assert.Equal(TimeSpan.Zero, s.ReadSpin);
        Assert.Equal(2_000_000_000, s.ReadSpinAboveBitsPerSecond);
    }

    [Theory]
    [InlineData("128KiB", 0x20000)]
    [InlineData("8MiB", 0x800000)]
    [InlineData("64 MiB", 0x4000000)]
    [InlineData("1048576", 0x100000)]
    public void Ring_capacity_is_bytes_or_KiB_or_MiB(string text, int expected)
    {
        var (s, problems) = Parse(new() { ["RingCapacity"] = text });
        Assert.Empty(problems);
        Assert.Equal(expected, s.RingCapacity);
    }

    [Theory]
    [InlineData("65536")]
    [InlineData("64KiB")]
    [InlineData("128MiB")]
    [InlineData("3000000")]
    [InlineData("0x800000")]
    [InlineData("-131072")]
    [InlineData("big")]
    [InlineData("99999999999999999999MiB")]
    public void A_ring_capacity_that_is_not_a_power_of_two_within_Wintuns_limits_is_refused_naming_the_limits(string text)
    {
        var (s, problems) = Parse(new() { ["RingCapacity"] = text });
        ConfigurationProblem problem = SettingsAssert.OneProblemAt(problems, "Interfaces:wt0:Settings:RingCapacity", "power of two between 131072 (128KiB, WINTUN_MIN_RING_CAPACITY) and 67108864 (64MiB, WINTUN_MAX_RING_CAPACITY)");
        Assert.Contains($"(got '{text}')", problem.Message, StringComparison.Ordinal);
        Assert.Equal(WintunSettings.DefaultRingCapacity, s.RingCapacity);
    }

    [Theory]
    [InlineData("Mtu", "575", "Interfaces:wt0:Settings:Mtu", "between 576 and 65535")]
    [InlineData("Mtu", "65536", "Interfaces:wt0:Settings:Mtu", "between 576 and 65535")]
    [InlineData("Mode", "reuse", "Interfaces:wt0:Settings:Mode", "must be one of: create, open")]
    [InlineData("Guid", "not-a-guid", "Interfaces:wt0:Settings:Guid", "must be a GUID")]
    [InlineData("Guid", "00000000-0000-0000-0000-000000000000", "Interfaces:wt0:Settings:Guid", "other than all zeros")]
    [InlineData("AdapterName", " padded", "Interfaces:wt0:Settings:AdapterName", "not a usable Wintun adapter name")]
    [InlineData("AdapterName", "tab\there", "Interfaces:wt0:Settings:AdapterName", "no control characters")]
    [InlineData("TunnelType", "x\u0001", "Interfaces:wt0:Settings:TunnelType", "not a usable Wintun tunnel type")]
    [InlineData("Addresses:0", "10.0.0.1/33", "Interfaces:wt0:Settings:Addresses:0", "not an address with a prefix length")]
    [InlineData("Addresses:0", "fe80::1%3/64", "Interfaces:wt0:Settings:Addresses:0", "not an address with a prefix length")]
    [InlineData("Routes:0", "10.0.0.0/-1", "Interfaces:wt0:Settings:Routes:0", "not a destination prefix")]
    [InlineData("Routes:0:Destination", "ten/8", "Interfaces:wt0:Settings:Routes:0:Destination", "not a destination prefix")]
    [InlineData("ReadSpin:Microseconds", "1001", "Interfaces:wt0:Settings:ReadSpin:Microseconds", "between 0 and 1000")]
    [InlineData("ReadSpin:Seconds", "1", "Interfaces:wt0:Settings:ReadSpin:Seconds", "unknown key")]
    [InlineData("Colour", "red", "Interfaces:wt0:Settings:Colour", "unknown key; expected one of: AdapterName, TunnelType, Guid, Mode")]
    [InlineData("Queues", "4", "Interfaces:wt0:Settings:Queues", "exactly one queue")]
    [InlineData("Offloads:Tso", "true", "Interfaces:wt0:Settings:Offloads", "Wintun has no offloads")]
    public void Each_bad_value_is_reported_at_its_key_path(string key, string value, string path, string message) =>
        SettingsAssert.OneProblemAt(Parse(new() { [key] = value }).Problems, path, message);

    [Fact]
    public void An_adapter_name_of_128_characters_is_one_too_many()
    {
        Assert.Empty(Parse(new() { ["AdapterName"] = new string('a', 127) }).Problems);
        ConfigurationProblem problem = Assert.Single(Parse(new() { ["AdapterName"] = new string('a', 128) }).Problems);
        Assert.Contains("at most 127 characters", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void IPv6_addresses_and_routes_need_an_MTU_of_1280_next_hops_must_match_the_family_and_route_keys_are_checked()
    {
        var (_, problems) = Parse(new()
        {
            ["Mtu"] = "1200",
            ["Addresses:0"] = "fd00::1/64",
            ["Routes:0"] = "fd01::/48",
            ["Routes:1:Destination"] = "10.2.0.0/16",
            ["Routes:1:Via"] = "fd00::1",
            ["Routes:2:Destination"] = "10.3.0.0/16",
            ["Routes:2:Metric"] = "-4",
            ["Routes:3:Destination"] = "10.4.0.0/16",
            ["Routes:3:Gateway"] = "10.4.0.1",
        });
        Assert.Contains(problems, p => p.Path == "Interfaces:wt0:Settings:Addresses:0" && p.Message.Contains("at least 1280", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Path == "Interfaces:wt0:Settings:Routes:0" && p.Message.Contains("at least 1280", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Path == "Interfaces:wt0:Settings:Routes:1:Via" && p.Message.Contains("IPv4 next hop", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Path == "Interfaces:wt0:Settings:Routes:2:Metric");
        Assert.Contains(problems, p => p.Path == "Interfaces:wt0:Settings:Routes:3:Gateway" && p.Message.Contains("unknown key; expected one of: Destination, Via, Metric", StringComparison.Ordinal));
        Assert.Equal(5, problems.Count);
    }

    [Fact]
    public void The_derived_GUID_is_stable_case_insensitive_and_an_RFC_9562_version_8_UUID()
    {
        Guid guid = WintunSettings.GuidFor("RouterHost LAN");
        Assert.Equal(guid, WintunSettings.GuidFor("routerhost lan"));
        Assert.NotEqual(guid, WintunSettings.GuidFor("RouterHost WAN"));
        Span<byte> bytes = stackalloc byte[16];
        Assert.True(guid.TryWriteBytes(bytes, bigEndian: true, out _));
        Assert.Equal(8, bytes[6] >> 4);
        Assert.Equal(0b10, bytes[8] >> 6);
    }

    [Fact]
    public void Random_settings_never_throw_and_every_problem_is_under_the_settings_path()
    {
        string[] keys = ["AdapterName", "TunnelType", "Guid", "Mode", "RingCapacity", "Mtu", "Addresses:0", "Addresses:1", "Routes:0",
                         "Routes:1:Destination", "Routes:1:Via", "Routes:1:Metric", "ReadSpin:Microseconds", "ReadSpin:AboveMbps", "ReadSpin",
                         "Queues", "Offloads:Gro", "Bogus", "Addresses", "Routes"];
        string[] values = ["", "0", "1", "-1", "576", "1500", "65536", "131072", "8MiB", "3MiB", "99999999999", "10.0.0.1/24", "fd00::1/64",
                           "::/0", "0.0.0.0/0", "10.0.0.1/40", "open", "create", "true", "no", "wt0", "x/y", "fe80::1%2/64", "1.2.3.4.5/6",
                           "5f3e0b7c-8a51-4d6e-9c2f-1b7a4e6d0c93", new string('n', 200), "\u00e9\u00e9\u00e9", "\t"];
        Gen<Dictionary<string, string?>> gen = SettingsGen.Entries(keys, values);

        Prop.ForAll(gen.ToArbitrary(), values =>
        {
            var (s, problems) = Parse(values);
            Assert.All(problems, p => Assert.StartsWith("Interfaces:wt0:Settings", p.Path, StringComparison.Ordinal));
            Assert.InRange(s.Mtu, WintunSettings.MinMtu, 65535);
            Assert.InRange(s.RingCapacity, Interop.Wintun.WINTUN_MIN_RING_CAPACITY, Interop.Wintun.WINTUN_MAX_RING_CAPACITY);
            Assert.True(int.IsPow2(s.RingCapacity));
            Assert.NotEqual(Guid.Empty, s.AdapterGuid);
            return true;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void The_link_the_router_sees_has_the_adapter_s_addresses_owned_by_Windows_and_its_MTU()
    {
        var (s, problems) = Parse(new() { ["Mtu"] = "1420", ["Addresses:0"] = "10.0.0.1/24" });
        Assert.Empty(problems);
        Assert.Equal(1420, s.Link.Mtu);
        Assert.Equal(InterfaceAddressOwner.HostStack, s.Link.Owner);
        Assert.Equal("10.0.0.1/24", Assert.Single(s.Link.Addresses).ToString());
    }
}
