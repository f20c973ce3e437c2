using System.Net;
using FsCheck;
using FsCheck.Fluent;
using RouterHost.Abstractions;
using RouterHost.Abstractions.Links;
using RouterHost.Settings.TestSupport;

namespace RouterHost.Plugins.AfXdp.Tests;

public sealed class AfXdpSettingsTests
{
    private const string Root = "Interfaces:lan:Settings";

    private static (AfXdpSettings Settings, List<ConfigurationProblem> Problems) Parse(Dictionary<string, string?> values)
    {
        var problems = new List<ConfigurationProblem>();
        return (AfXdpSettings.Parse(SettingsSection.Under(Root, values), "lan", problems), problems);
    }

    [Fact]
    public void Defaults_are_the_interface_name_every_queue_4096_byte_frames_2048_entry_rings_auto_modes_and_need_wakeup()
    {
        var (s, problems) = Parse([]);
        Assert.Empty(problems);
        Assert.Equal("lan", s.Device);
        Assert.Null(s.Namespace);
        Assert.Null(s.QueueIds);
        Assert.Equal(4096, s.FrameSize);
        Assert.Equal(0, s.Headroom);
        Assert.Equal(2048u, s.FillRingSize);
        Assert.Equal(2048u, s.CompletionRingSize);
        Assert.Equal(2048u, s.RxRingSize);
        Assert.Equal(2048u, s.TxRingSize);
        Assert.Equal(XskBindMode.Auto, s.BindMode);
        Assert.Equal(XdpAttachMode.Auto, s.XdpMode);
        Assert.True(s.NeedWakeup);
        Assert.Null(s.Mtu);
        Assert.Empty(s.Addresses);
        Assert.Equal(3826, s.MaxMtu);  // 4096 - 256 - 14
        Assert.Equal(4096, s.Layout.TotalFrames);
    }

    [Fact]
    public void Every_key_is_read()
    {
        var (s, problems) = Parse(new()
        {
            ["Device"] = "eth1",
            ["Namespace"] = "edge",
            ["QueueIds:0"] = "2",
            ["QueueIds:1"] = "0",
            ["FrameSize"] = "2048",
            ["Headroom"] = "64",
            ["Rings:Fill"] = "4096",
            ["Rings:Completion"] = "1024",
            ["Rings:Rx"] = "512",
            ["Rings:Tx"] = "1024",
            ["BindMode"] = "zerocopy",
            ["XdpMode"] = "Native",
            ["NeedWakeup"] = "false",
            ["Mtu"] = "1500",
            ["Addresses:0"] = "10.0.0.1/24",
            ["Addresses:1"] = "fd00::1/64",
            ["Neighbours:CacheSize"] = "100",
            ["Neighbours:Refresh"] = "2s",
            ["Neighbours:ResolveTimeout"] = "500ms",
            ["Neighbours:FailedRetry"] = "3s",
            ["Neighbours:IdleTimeout"] = "10m",
        });
        Assert.Empty(problems);
        Assert.Equal("eth1", s.Device);
        Assert.Equal("edge", s.Namespace);
        Assert.Equal([2u, 0u], s.QueueIds);
        Assert.Equal(2048, s.FrameSize);
        Assert.Equal(64, s.Headroom);
        Assert.Equal((4096u, 1024u, 512u, 1024u), (s.FillRingSize, s.CompletionRingSize, s.RxRingSize, s.TxRingSize));
        Assert.Equal(XskBindMode.ZeroCopy, s.BindMode);
        Assert.Equal(XdpAttachMode.Native, s.XdpMode);
        Assert.False(s.NeedWakeup);
        Assert.Equal(1500, s.Mtu);
        Assert.Equal([new DeviceAddress(IPAddress.Parse("10.0.0.1"), 24), new DeviceAddress(IPAddress.Parse("fd00::1"), 64)], s.Addresses);
        Assert.Equal(new Internal.NeighbourOptions(100, 2000, 500, 3000, 600_000), s.Neighbours);
        Assert.Equal(5120, s.Layout.TotalFrames);
    }

    public static TheoryData<string, string?, string, string> BadValues() => new()
    {
        { "Colour", "red", $"{Root}:Colour", "unknown key" },
        { "Device", "a/b", $"{Root}:Device", "not a usable Linux interface name" },
        { "Device", "sixteen-bytes-xx", $"{Root}:Device", "not a usable Linux interface name" },
        { "Namespace", "a/b", $"{Root}:Namespace", "not a network namespace name" },
        { "QueueIds:0", "x", $"{Root}:QueueIds:0", "must be a queue id" },
        { "QueueIds:0", "5000", $"{Root}:QueueIds:0", "must be a queue id" },
        { "FrameSize", "3000", $"{Root}:FrameSize", "must be 2048 or 4096" },
        { "FrameSize", "8192", $"{Root}:FrameSize", "between 2048 and 4096" },
        { "Headroom", "2000", $"{Root}:Headroom", "between 0 and 1024" },
        { "Rings:Rx", "1000", $"{Root}:Rings:Rx", "power of two" },
        { "Rings:Fill", "16", $"{Root}:Rings:Fill", "between 64 and 32768" },
        { "Rings:Tx", "4096", $"{Root}:Rings:Completion", "at least Rings:Tx" },
        { "Rings:Big", "64", $"{Root}:Rings:Big", "unknown key" },
        { "BindMode", "Fast", $"{Root}:BindMode", "must be one of: Auto, Copy, ZeroCopy" },
        { "XdpMode", "Hardware", $"{Root}:XdpMode", "must be one of: Auto, Native, Generic" },
        { "NeedWakeup", "maybe", $"{Root}:NeedWakeup", "true or false" },
        { "Mtu", "9000", $"{Root}:Mtu", "does not fit in a frame" },
        { "Mtu", "10", $"{Root}:Mtu", "between 68 and 65535" },
        { "Addresses:0", "10.0.0.1/33", $"{Root}:Addresses:0", "not an address with a prefix length" },
        { "Neighbours:CacheSize", "1", $"{Root}:Neighbours:CacheSize", "between 16 and" },
        { "Neighbours:Refresh", "forever", $"{Root}:Neighbours:Refresh", "must be a duration" },
        { "Neighbours:Ttl", "1s", $"{Root}:Neighbours:Ttl", "unknown key" },
    };

    [Theory]
    [MemberData(nameof(BadValues))]
    public void A_bad_value_is_a_problem_at_its_full_key_path(string key, string? value, string path, string message) =>
        SettingsAssert.OneProblemAt(Parse(new() { [key] = value }).Problems, path, message);

    [Fact]
    public void A_queue_listed_twice_and_zero_copy_with_generic_XDP_are_problems()
    {
        var (_, problems) = Parse(new() { ["QueueIds:0"] = "1", ["QueueIds:1"] = "1", ["BindMode"] = "ZeroCopy", ["XdpMode"] = "Generic" });
        Assert.Contains(problems, p => p.Path == $"{Root}:QueueIds:1" && p.Message.Contains("twice", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Path == $"{Root}:BindMode" && p.Message.Contains("copy mode only", StringComparison.Ordinal));
    }

    [Fact]
    public void The_largest_MTU_follows_frame_size_and_headroom_and_the_message_says_so()
    {
        var (s, problems) = Parse(new() { ["FrameSize"] = "2048", ["Headroom"] = "128", ["Mtu"] = "1700" });
        Assert.Equal(1650, s.MaxMtu);  // 2048 - 256 - 128 - 14
        ConfigurationProblem problem = Assert.Single(problems);
        Assert.Contains("at most an MTU of 1650", problem.Message, StringComparison.Ordinal);
        Assert.Empty(Parse(new() { ["FrameSize"] = "2048", ["Mtu"] = "1500" }).Problems);
    }

    [Fact]
    public void Random_settings_never_throw_and_every_problem_names_a_path_under_the_section()
    {
        string[] keys = ["Device", "Namespace", "QueueIds:0", "QueueIds:1", "FrameSize", "Headroom", "Rings:Fill", "Rings:Completion", "Rings:Rx", "Rings:Tx", "BindMode", "XdpMode", "NeedWakeup", "Mtu", "Addresses:0", "Neighbours:CacheSize", "Neighbours:Refresh", "Other"];
        string[] values = ["", "0", "1", "-1", "64", "2048", "4096", "65536", "1500", "true", "Copy", "x/y", "10.0.0.1/24", "fd00::1/200", "5s", "9999999999999", " ", "ZeroCopy"];
        Gen<Dictionary<string, string?>> gen = SettingsGen.Entries(keys, values);
        Prop.ForAll(gen.ToArbitrary(), values =>
        {
            var (s, problems) = Parse(values);
            return s is not null && problems.All(p => p.Path.StartsWith(Root, StringComparison.Ordinal) && p.Message.Length > 0);
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void The_link_the_router_sees_has_the_router_s_own_addresses_and_the_device_s_MTU()
    {
        var (s, problems) = Parse(new() { ["Addresses:0"] = "10.1.0.1/24", ["Addresses:1"] = "fd01::1/64" });
        Assert.Empty(problems);
        InterfaceLink link = s.Link(1500);
        Assert.Equal(1500, link.Mtu);
        Assert.Equal(InterfaceAddressOwner.Router, link.Owner);
        Assert.Equal(["10.1.0.1/24", "fd01::1/64"], link.Addresses.Select(a => a.ToString()));
    }
}
