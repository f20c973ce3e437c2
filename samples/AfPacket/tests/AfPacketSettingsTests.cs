using Microsoft.Extensions.Configuration;
using RouterHost.Abstractions;

namespace RouterHost.Samples.AfPacket.Tests;

public sealed class AfPacketSettingsTests
{
    private static IConfigurationSection Section(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>($"Interfaces:lan:Settings:{v.Key}", v.Value)))
            .Build()
            .GetSection("Interfaces:lan:Settings");

    private static IReadOnlyList<ConfigurationProblem> Validate(params (string Key, string Value)[] values) =>
        new AfPacketBackendPlugin().Validate(Section(values));

    [Fact]
    public void Defaults_name_the_interface_as_the_device_and_size_the_ring_for_64_KiB_frames()
    {
        var problems = new List<ConfigurationProblem>();
        AfPacketSettings settings = AfPacketSettings.Parse(Section(("Offloads", "true")), "lan", problems);

        Assert.Empty(problems);
        Assert.Equal("lan", settings.Device);
        Assert.Null(settings.Queues);
        Assert.Equal(AfPacketSettings.DefaultBlockSize, settings.BlockSize);
        Assert.True(settings.BlockSize >= 65536 + 128);
        Assert.True(settings.Offloads);
    }

    [Fact]
    public void A_full_example_parses()
    {
        Assert.Empty(Validate(
            ("Device", "eth1"), ("Queues", "4"), ("BlockSize", "1048576"), ("BlockCount", "64"), ("BlockTimeout", "5ms"),
            ("Offloads", "false"), ("Neighbours:CacheSize", "4096"), ("Neighbours:Refresh", "1m"), ("Neighbours:RetryInterval", "500ms")));
    }

    public static TheoryData<string, string, string, string> BadSettings() => new()
    {
        { "BlockSize", "200000", "Interfaces:lan:Settings:BlockSize", "power of two" },
        { "BlockSize", "65536", "Interfaces:lan:Settings:BlockSize", "between 131072 and 4194304" },
        { "BlockCount", "1", "Interfaces:lan:Settings:BlockCount", "between 2 and 4096" },
        { "Queues", "0", "Interfaces:lan:Settings:Queues", "between 1 and 64" },
        { "Queues", "many", "Interfaces:lan:Settings:Queues", "whole number" },
        { "BlockTimeout", "1.5ms", "Interfaces:lan:Settings:BlockTimeout", "whole milliseconds" },
        { "Offloads", "yes", "Interfaces:lan:Settings:Offloads", "true or false" },
        { "Device", "a/b", "Interfaces:lan:Settings:Device", "" },
        { "Frobnicate", "1", "Interfaces:lan:Settings:Frobnicate", "" },
        { "Neighbours:RetryInterval", "2m", "Interfaces:lan:Settings:Neighbours:RetryInterval", "" },
        { "Neighbours:Bogus", "1", "Interfaces:lan:Settings:Neighbours:Bogus", "" },
    };

    [Theory]
    [MemberData(nameof(BadSettings))]
    public void Bad_settings_are_refused_at_their_key_path(string key, string value, string path, string says)
    {
        IReadOnlyList<ConfigurationProblem> problems = Validate((key, value));

        ConfigurationProblem problem = Assert.Single(problems);
        Assert.Equal(path, problem.Path);
        Assert.Contains(says, problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_ring_over_a_GiB_per_queue_is_refused()
    {
        ConfigurationProblem problem = Assert.Single(Validate(("BlockSize", "4194304"), ("BlockCount", "512")));
        Assert.Equal("Interfaces:lan:Settings:BlockCount", problem.Path);
    }

    [Fact]
    public void A_missing_device_is_named_with_errno()
    {
        var plugin = new AfPacketBackendPlugin();
        var context = new BackendContext("lan", Section(("Device", "nosuchdev0")), Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance, 1, 64);

        IOException error = Assert.Throws<IOException>(() => plugin.Create(context));
        Assert.Contains("no device 'nosuchdev0'", error.Message, StringComparison.Ordinal);
        Assert.Contains("errno 19", error.Message, StringComparison.Ordinal);
        Assert.Contains("Interfaces:lan:Settings:Device", error.Message, StringComparison.Ordinal);
    }
}
