using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using RouterHost.Abstractions;
using RouterHost.Settings.TestSupport;

namespace RouterHost.Settings.Tests;

public sealed class SettingsReaderTests
{
    private const string Root = "Pipeline:Stages:0:Settings";

    private static (IConfigurationSection Section, SettingsReader Reader) Read(Dictionary<string, string?> values) =>
        (SettingsSection.Under(Root, values), new SettingsReader([]));

    [Fact]
    public void Absent_keys_give_the_defaults_and_no_problem()
    {
        var (section, reader) = Read([]);
        Assert.Equal(7, reader.Integer(section, "N", 7, 1, 10));
        Assert.Equal(0.5, reader.Number(section, "X", 0.5, 0, 1));
        Assert.True(reader.Boolean(section, "B", true));
        Assert.Equal(TimeSpan.FromSeconds(3), reader.Duration(section, "D", TimeSpan.FromSeconds(3), TimeSpan.Zero, TimeSpan.FromHours(1)));
        Assert.Null(reader.Choice(section, "C", "a", "b"));
        Assert.Null(reader.Address(section, "A"));
        Assert.Null(reader.NamespaceName(section, "Namespace"));
        Assert.Equal("eth0", reader.DeviceName(section, "Device", "eth0"));
        Assert.Empty(reader.Strings(section.GetSection("L")));
        Assert.Empty(reader.Problems);
    }

    [Fact]
    public void Good_values_are_read()
    {
        var (section, reader) = Read(new()
        {
            ["N"] = "-3", ["X"] = "0.25", ["B"] = "False", ["D"] = "1.5m", ["C"] = " ZeroCopy ", ["A"] = "fd00::1",
            ["Namespace"] = " lab ", ["Device"] = "eth1", ["L:0"] = " a ", ["L:1"] = "b", ["One"] = "c",
        });
        Assert.Equal(-3, reader.Integer(section, "N", 0, -5, 5));
        Assert.Equal(0.25, reader.Number(section, "X", 0, 0, 1));
        Assert.False(reader.Boolean(section, "B", true));
        Assert.Equal(TimeSpan.FromSeconds(90), reader.Duration(section, "D", TimeSpan.Zero, TimeSpan.Zero, TimeSpan.FromHours(1)));
        Assert.Equal(2, reader.Choice(section, "C", "Auto", "Copy", "zerocopy"));
        Assert.Equal(IPAddress.Parse("fd00::1"), reader.Address(section, "A", AddressFamily.InterNetworkV6));
        Assert.Equal("lab", reader.NamespaceName(section, "Namespace"));
        Assert.Equal("eth1", reader.DeviceName(section, "Device", "eth0"));
        Assert.Equal([($"{Root}:L:0", "a"), ($"{Root}:L:1", "b")], reader.Strings(section.GetSection("L")));
        Assert.Equal([($"{Root}:One", "c")], reader.Strings(section.GetSection("One")));
        Assert.Empty(reader.Problems);
    }

    public static TheoryData<string, string, string> BadValues => new()
    {
        { "Integer", "ten", "must be a whole number between 1 and 10 (got 'ten')" },
        { "Integer", "11", "must be a whole number between 1 and 10 (got '11')" },
        { "Integer", "99999999999999999999", "must be a whole number between 1 and 10" },
        { "Integer", "1.0", "must be a whole number between 1 and 10" },
        { "Number", "NaN", "must be a number between 0.1 and 300 (got 'NaN')" },
        { "Number", "1e400", "must be a number between 0.1 and 300" },
        { "Number", "0,5", "must be a number between 0.1 and 300" },
        { "Boolean", "yes", "must be true or false (got 'yes')" },
        { "Duration", "5x", "must be a duration between 0.1s and 3600s, like '30s', '500ms' or '2h' (got '5x')" },
        { "Duration", "-1s", "must be a duration between 0.1s and 3600s" },
        { "Duration", "2h", "must be a duration between 0.1s and 3600s" },
        { "Duration", "ms", "must be a duration between 0.1s and 3600s" },
        { "Choice", "Fast", "must be one of: Auto, Copy, ZeroCopy (got 'Fast')" },
        { "Address", "10.0.0.256", "must be an IPv4 address (got '10.0.0.256')" },
        { "Address", "fd00::1", "must be an IPv4 address (got 'fd00::1')" },
        { "Device", "a-name-longer-than-15", "'a-name-longer-than-15' is not a usable Linux interface name (not empty and at most 15 bytes; no '/', ':' or spaces)" },
        { "Device", "eth0:1", "is not a usable Linux interface name" },
        { "Device", "a b", "is not a usable Linux interface name" },
        { "Device", "..", "is not a usable Linux interface name" },
        { "Device", "\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9", "is not a usable Linux interface name" },
        { "Namespace", "a/b", "'a/b' is not a network namespace name (as in 'ip netns add NAME') or an absolute path" },
        { "Namespace", "..", "is not a network namespace name" },
        { "Namespace", "a\u0001b", "is not a network namespace name" },
    };

    [Theory]
    [MemberData(nameof(BadValues))]
    public void A_bad_value_is_one_problem_at_its_key_path_and_the_default_is_kept(string key, string value, string message)
    {
        var (section, reader) = Read(new() { [key] = value });
        object? result = ReadOne(section, reader, key);
        SettingsAssert.OneProblemAt(reader.Problems, $"{Root}:{key}", message);
        object? expected = key switch
        {
            "Integer" => 5L,
            "Number" => 5.0,
            "Boolean" => true,
            "Duration" => TimeSpan.FromSeconds(30),
            "Device" or "Namespace" => value,
            _ => null,
        };
        Assert.Equal(expected, result);
    }

    [Theory]
    [InlineData("Integer", "must be a whole number between 1 and 10, not a section")]
    [InlineData("Number", "must be a number between 0.1 and 300, not a section")]
    [InlineData("Boolean", "must be true or false, not a section")]
    [InlineData("Duration", "must be a duration between 0.1s and 3600s, like '30s', '500ms' or '2h', not a section")]
    [InlineData("Choice", "must be one of: Auto, Copy, ZeroCopy, not a section")]
    public void A_section_where_a_value_belongs_is_reported(string key, string message)
    {
        var (section, reader) = Read(new() { [$"{key}:Inner"] = "1" });
        ReadOne(section, reader, key);
        ConfigurationProblem problem = Assert.Single(reader.Problems);
        Assert.Equal($"{Root}:{key}", problem.Path);
        Assert.Equal(message, problem.Message);
    }

    [Fact]
    public void Unknown_keys_are_reported_at_their_paths_listing_the_known_ones_and_case_does_not_matter()
    {
        var (section, reader) = Read(new() { ["mtu"] = "1", ["Colour"] = "red", ["Sub:Deep"] = "x" });
        reader.CheckKeys(section, "Mtu", "Queues");
        Assert.Equal(
            [$"{Root}:Colour: unknown key; expected one of: Mtu, Queues", $"{Root}:Sub: unknown key; expected one of: Mtu, Queues"],
            reader.Problems.Select(p => $"{p.Path}: {p.Message}").Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Unknown_keys_can_say_where_they_are_and_a_blank_key_is_named_by_its_place()
    {
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Pipline:BatchSize"] = "1", [" "] = "x", ["Pipeline: "] = "y",
        }).Build();
        var reader = new SettingsReader([]);
        reader.CheckKeys(configuration.GetChildren(), "the top level", "Pipeline");
        IConfigurationSection pipeline = configuration.GetSection("Pipeline");
        reader.CheckKeys(pipeline.GetChildren(), pipeline.Path, "BatchSize");
        Assert.Equal(
            ["(empty key ' '): unknown key in the top level; expected one of: Pipeline", "Pipeline:(empty key ' '): unknown key in Pipeline; expected one of: BatchSize",
             "Pipline: unknown key in the top level; expected one of: Pipeline"],
            reader.Problems.Select(p => $"{p.Path}: {p.Message}").Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_list_item_that_is_a_section_is_not_a_string()
    {
        var (section, reader) = Read(new() { ["L:0"] = "a", ["L:1:X"] = "b" });
        Assert.Equal([($"{Root}:L:0", "a")], reader.Strings(section.GetSection("L")));
        ConfigurationProblem problem = Assert.Single(reader.Problems);
        Assert.Equal($"{Root}:L:1", problem.Path);
        Assert.Equal("must be a string", problem.Message);
    }

    [Theory]
    [InlineData("30", 30_000)]
    [InlineData("0.5", 500)]
    [InlineData("500ms", 500)]
    [InlineData("500MS", 500)]
    [InlineData(" 30s ", 30_000)]
    [InlineData("5m", 300_000)]
    [InlineData("2h", 7_200_000)]
    [InlineData("1d", 86_400_000)]
    [InlineData("0", 0)]
    public void Durations_are_seconds_or_a_number_with_a_unit(string text, long milliseconds)
    {
        Assert.True(SettingsReader.TryParseDuration(text, out TimeSpan value));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), value);
    }

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("s")]
    [InlineData("ms")]
    [InlineData("-1")]
    [InlineData("1w")]
    [InlineData("Infinity")]
    [InlineData("NaN")]
    [InlineData("1e300")]
    [InlineData("1,5s")]
    [InlineData("0x10")]
    public void Malformed_durations_are_refused(string text) => Assert.False(SettingsReader.TryParseDuration(text, out _));

    [Theory]
    [InlineData("eth0", true)]
    [InlineData("fifteen-bytes-x", true)]
    [InlineData("sixteen-bytes-xx", false)]
    [InlineData("", false)]
    [InlineData("a/b", false)]
    [InlineData("eth0:1", false)]
    [InlineData("tab\there", false)]
    [InlineData(".", false)]
    [InlineData("..", false)]
    [InlineData("...", true)]
    public void Device_names_are_what_the_kernel_takes(string name, bool valid) => Assert.Equal(valid, SettingsReader.IsDeviceName(name));

    [Theory]
    [InlineData("lab", true)]
    [InlineData("my lab", true)]
    [InlineData("/proc/1/ns/net", true)]
    [InlineData("/run/netns/lab", true)]
    [InlineData("a/b", false)]
    [InlineData(".", false)]
    [InlineData("..", false)]
    [InlineData("", false)]
    [InlineData("a\0b", false)]
    public void Namespace_names_are_what_ip_netns_add_takes_or_absolute_paths(string name, bool valid) => Assert.Equal(valid, SettingsReader.IsNamespaceName(name));

    [Fact]
    public void A_namespace_name_longer_than_a_file_name_is_refused()
    {
        Assert.True(SettingsReader.IsNamespaceName(new string('n', 255)));
        Assert.False(SettingsReader.IsNamespaceName(new string('n', 256)));
    }

    [Theory]
    [InlineData("tun0", true)]
    [InlineData("a-name-longer-than-fifteen-bytes", true)]
    [InlineData("eth0:1", true)]
    [InlineData("", false)]
    [InlineData("a b", false)]
    [InlineData("a/b", false)]
    [InlineData("a\u0007", false)]
    public void Plain_names_have_no_spaces_slashes_or_control_characters(string name, bool valid) => Assert.Equal(valid, SettingsReader.IsPlainName(name));

    /// <summary>Reads <paramref name="key"/> the way its name says (the keys of <see cref="BadValues"/>).</summary>
    internal static object? ReadOne(IConfigurationSection section, SettingsReader reader, string key) => key switch
    {
        "Integer" => reader.Integer(section, key, 5, 1, 10),
        "Number" => reader.Number(section, key, 5, 0.1, 300),
        "Boolean" => reader.Boolean(section, key, true),
        "Duration" => reader.Duration(section, key, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(100), TimeSpan.FromHours(1)),
        "Choice" => reader.Choice(section, key, "Auto", "Copy", "ZeroCopy"),
        "Address" => reader.Address(section, key, AddressFamily.InterNetwork),
        "Device" => reader.DeviceName(section, key, "eth0"),
        "Namespace" => reader.NamespaceName(section, key),
        _ => throw new ArgumentOutOfRangeException(nameof(key)),
    };
}
