using System.Net;
using FsCheck;
using FsCheck.Fluent;
using Microsoft.Extensions.Configuration;
using RouterHost.Abstractions;
using RouterHost.Abstractions.Links;
using RouterHost.Settings.TestSupport;

namespace RouterHost.Plugins.LinuxTun.Tests;

public sealed class TunSettingsTests
{
    private static (TunSettings Settings, List<ConfigurationProblem> Problems) Parse(Dictionary<string, string?> values, int cpus = 4)
    {
        var problems = new List<ConfigurationProblem>();
        return (TunSettings.Parse(SettingsSection.Under("Interfaces:tun0:Settings", values), "tun0", cpus, problems), problems);
    }

    [Fact]
    public void Defaults_are_one_queue_per_cpu_MTU_1500_and_every_offload_on()
    {
        var (s, problems) = Parse([], cpus: 3);
        Assert.Empty(problems);
        Assert.Equal("tun0", s.DeviceName);
        Assert.Equal(3, s.Queues);
        Assert.Equal(1500, s.Mtu);
        Assert.Equal(1000, s.TxQueueLength);
        Assert.True(s.OffloadsEnabled && s.Tso && s.Uso && s.Gro);
        Assert.False(s.Persist);
        Assert.Null(s.Namespace);
    }

    [Fact]
    public void Addresses_and_routes_in_both_forms_are_parsed_and_route_destinations_reduced_to_their_network()
    {
        var (s, problems) = Parse(new()
        {
            ["Addresses:0"] = "10.0.0.1/24",
            ["Addresses:1"] = "fd00::1/64",
            ["Routes:0"] = "10.1.2.3/16",
            ["Routes:1:Destination"] = "fd01::/48",
            ["Routes:1:Via"] = "fd00::2",
            ["Routes:1:Metric"] = "50",
            ["Routes:2"] = "192.0.2.7",
        });
        Assert.Empty(problems);
        Assert.Equal([new InterfaceAddress(IPAddress.Parse("10.0.0.1"), 24), new InterfaceAddress(IPAddress.Parse("fd00::1"), 64)], s.Addresses);
        Assert.Equal(IPAddress.Parse("10.1.0.0"), s.Routes[0].Destination);
        Assert.Equal(16, s.Routes[0].PrefixLength);
        Assert.Equal(IPAddress.Parse("fd00::2"), s.Routes[1].Via);
        Assert.Equal(50, s.Routes[1].Metric);
        Assert.Equal(32, s.Routes[2].PrefixLength);
    }

    [Theory]
    [InlineData("Queues", "0", "Interfaces:tun0:Settings:Queues", "between 1 and 256")]
    [InlineData("Mtu", "60", "Interfaces:tun0:Settings:Mtu", "between 68 and 65535")]
    [InlineData("TxQueueLength", "0", "Interfaces:tun0:Settings:TxQueueLength", "between 1 and")]
    [InlineData("DeviceName", "a-name-longer-than-15", "Interfaces:tun0:Settings:DeviceName", "at most 15 bytes")]
    [InlineData("DeviceName", "tun/0", "Interfaces:tun0:Settings:DeviceName", "not a usable Linux interface name")]
    [InlineData("Addresses:0", "10.0.0.1/33", "Interfaces:tun0:Settings:Addresses:0", "not an address with a prefix length")]
    [InlineData("Addresses:0", "ten.0.0.1/8", "Interfaces:tun0:Settings:Addresses:0", "not an address with a prefix length")]
    [InlineData("Routes:0", "10.0.0.0/-1", "Interfaces:tun0:Settings:Routes:0", "not a destination prefix")]
    [InlineData("Persist", "maybe", "Interfaces:tun0:Settings:Persist", "true or false")]
    [InlineData("Offloads:Enabled", "yes", "Interfaces:tun0:Settings:Offloads:Enabled", "true or false")]
    [InlineData("Offloads:Lro", "true", "Interfaces:tun0:Settings:Offloads:Lro", "unknown key")]
    [InlineData("Colour", "red", "Interfaces:tun0:Settings:Colour", "unknown key")]
    [InlineData("Namespace", "a/b", "Interfaces:tun0:Settings:Namespace", "not a network namespace name")]
    public void Each_bad_value_is_reported_at_its_key_path(string key, string value, string path, string message) =>
        SettingsAssert.OneProblemAt(Parse(new() { [key] = value }).Problems, path, message);

    [Fact]
    public void A_route_via_a_next_hop_of_the_other_family_or_a_bad_metric_is_reported()
    {
        var (_, problems) = Parse(new()
        {
            ["Routes:0:Destination"] = "10.1.0.0/16",
            ["Routes:0:Via"] = "fd00::1",
            ["Routes:1:Destination"] = "10.2.0.0/16",
            ["Routes:1:Metric"] = "-4",
            ["Mtu"] = "1200",
            ["Addresses:0"] = "fd00::1/64",
        });
        Assert.Contains(problems, p => p.Path == "Interfaces:tun0:Settings:Routes:0:Via" && p.Message.Contains("IPv4 next hop", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Path == "Interfaces:tun0:Settings:Routes:1:Metric");
        Assert.Contains(problems, p => p.Path == "Interfaces:tun0:Settings:Addresses:0" && p.Message.Contains("at least 1280", StringComparison.Ordinal));
    }

    [Fact]
    public void Disabling_offloads_switches_off_TSO_USO_and_GRO()
    {
        var (s, problems) = Parse(new() { ["Offloads:Enabled"] = "false", ["Offloads:Tso"] = "true" });
        Assert.Empty(problems);
        Assert.False(s.OffloadsEnabled || s.Tso || s.Uso || s.Gro);
    }

    [Fact]
    public void Random_settings_never_throw_and_every_problem_is_under_the_settings_path()
    {
        string[] keys = ["DeviceName", "Queues", "Mtu", "TxQueueLength", "Addresses:0", "Addresses:1", "Routes:0", "Routes:1:Destination", "Routes:1:Via",
                         "Routes:1:Metric", "Persist", "Namespace", "Offloads:Enabled", "Offloads:Gro", "Offloads", "Bogus", "Addresses", "Routes"];
        string[] values = ["", "0", "1", "-1", "1500", "99999999999", "10.0.0.1/24", "fd00::1/64", "::/0", "0.0.0.0/0", "10.0.0.1/40", "true", "no",
                           "tun0", "x/y", "/var/run/netns/a", "fe80::1%2/64", "1.2.3.4.5/6", "\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9"];
        Gen<Dictionary<string, string?>> gen = SettingsGen.Entries(keys, values);

        Prop.ForAll(gen.ToArbitrary(), values =>
        {
            var (s, problems) = Parse(values);
            Assert.All(problems, p => Assert.StartsWith("Interfaces:tun0:Settings", p.Path, StringComparison.Ordinal));
            Assert.InRange(s.Queues, 1, TunSettings.MaxQueues);
            Assert.InRange(s.Mtu, 68, 65535);
            return true;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void The_link_the_router_sees_has_the_device_s_addresses_owned_by_the_host_behind_it_and_its_MTU()
    {
        var (s, problems) = Parse(new() { ["Mtu"] = "1400", ["Addresses:0"] = "10.0.0.1/24", ["Addresses:1"] = "fd00::1/64" });
        Assert.Empty(problems);
        InterfaceLink link = s.Link;
        Assert.Equal(1400, link.Mtu);
        Assert.Equal(InterfaceAddressOwner.HostStack, link.Owner);
        Assert.Equal(["10.0.0.1/24", "fd00::1/64"], link.Addresses.Select(a => a.ToString()));
        Assert.Equal(1400, new LinuxTunBackendPlugin().ReadLink(SectionOf(new() { ["Mtu"] = "1400" }))!.Mtu);
        Assert.Null(new LinuxTunBackendPlugin().ReadLink(SectionOf(new() { ["Mtu"] = "big" })));
    }

    private static IConfigurationSection SectionOf(Dictionary<string, string?> values) => SettingsSection.Under("Interfaces:tun0:Settings", values);
}
