using System.Globalization;

namespace RouterHost.Abstractions.Tests;

/// <summary>The contract version is defined once, in <see cref="PluginContract"/>, and everything else reads it.</summary>
public sealed class PluginContractTests
{
    [Fact]
    public void The_version_its_text_and_the_assembly_version_all_say_the_same_major_and_minor()
    {
        Assert.Equal(new Version(PluginContract.Major, PluginContract.Minor), PluginContract.Version);
        Assert.Equal(string.Create(CultureInfo.InvariantCulture, $"{PluginContract.Major}.{PluginContract.Minor}"), PluginContract.Text);
        Assert.Equal(PluginContract.Version.ToString(2), PluginContract.Text);

        Version assembly = typeof(PluginContract).Assembly.GetName().Version!;
        Assert.Equal(PluginContract.Major, assembly.Major);
        Assert.Equal(PluginContract.Minor, assembly.Minor);
        Assert.Equal(PluginContract.AssemblyName, typeof(PluginContract).Assembly.GetName().Name);
    }

    [Fact]
    public void A_stage_source_only_reads_and_a_device_queue_reads_and_writes()
    {
        Assert.True(typeof(IPacketReader).IsAssignableFrom(typeof(IQueue)));
        Assert.True(typeof(IPacketWriter).IsAssignableFrom(typeof(IQueue)));
        Assert.True(typeof(IPacketWriter).IsAssignableFrom(typeof(IGsoWriter)));
        Assert.Equal(typeof(IReadOnlyList<IPacketReader>), typeof(IStageSource).GetProperty(nameof(IStageSource.Sources))!.PropertyType);
    }
}
