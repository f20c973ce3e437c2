using System.Collections.Immutable;
using FsCheck;
using FsCheck.Fluent;
using RouterHost.Abstractions;
using RouterHost.Plugins;
using RouterHost.Tests.Support;

namespace RouterHost.Tests.Plugins;

/// <summary>The metadata reader that tells what a plugin declares without loading it: well-formed, malformed and mangled assemblies.</summary>
public sealed class PluginAssemblyMetadataTests
{
    private static readonly Lazy<byte[]> s_evil = new(() => File.ReadAllBytes(Path.Combine(EvilPlugin.BuiltFolder, "Evil.dll")));

    [Fact]
    public void Reads_every_plugin_type_with_its_name_description_kind_and_the_contract_version()
    {
        string stages = Path.Combine(RepositoryPaths.TestPlugins, "TestStages", "RouterHost.TestPlugins.TestStages.dll");

        PluginAssemblyMetadata metadata = Assert.IsType<PluginAssemblyMetadata>(PluginAssemblyMetadata.TryRead(stages, out string? problem), exactMatch: true);

        Assert.Null(problem);
        Assert.Equal(new Version(PluginContract.Major, PluginContract.Minor), new Version(metadata.ContractVersion!.Major, metadata.ContractVersion.Minor));
        Assert.Equal(["Bounce", "Cross", "Fault", "Forward", "PassThrough", "Stall", "Tunnel"], metadata.Types.Select(t => t.Name).Order(StringComparer.Ordinal));
        Assert.All(metadata.Types, t => Assert.Equal(PluginKind.Stage, t.Kind));
        Assert.All(metadata.Types, t => Assert.StartsWith("RouterHost.TestPlugins.TestStages.", t.FullName, StringComparison.Ordinal));

        PluginTypeMetadata evil = Assert.Single(PluginAssemblyMetadata.TryRead([.. s_evil.Value], out _)!.Types);
        Assert.Equal(new PluginTypeMetadata("RouterHost.TestPlugins.Evil.EvilBackendPlugin", "Evil", "Leaves a marker for every piece of its code that runs", PluginKind.Backend), evil);
    }

    [Fact]
    public void An_assembly_that_does_not_reference_the_contract_has_no_contract_version_and_no_plugin_types()
    {
        PluginAssemblyMetadata metadata = PluginAssemblyMetadata.TryRead(typeof(System.CommandLine.RootCommand).Assembly.Location, out _)!;
        Assert.Null(metadata.ContractVersion);
        Assert.Empty(metadata.Types);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    [InlineData(64)]
    [InlineData(200)]
    [InlineData(1000)]
    public void A_truncated_assembly_is_refused_with_a_problem(int length)
    {
        Assert.Null(PluginAssemblyMetadata.TryRead([.. s_evil.Value.AsSpan(0, length)], out string? problem));
        Assert.False(string.IsNullOrEmpty(problem));
    }

    [Fact]
    public void Files_that_are_not_assemblies_are_refused_with_a_problem()
    {
        Assert.Null(PluginAssemblyMetadata.TryRead([.. "MZ this is not a PE file"u8], out string? problem));
        Assert.Contains("not a valid .NET assembly", problem, StringComparison.Ordinal);

        Assert.Null(PluginAssemblyMetadata.TryRead("/bin/sh", out problem));
        Assert.Contains("not a valid .NET assembly", problem, StringComparison.Ordinal);

        Assert.Null(PluginAssemblyMetadata.TryRead("/nonexistent/Plugin.dll", out problem));
        Assert.Contains("cannot be read", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Any_corruption_of_a_plugin_assembly_yields_its_metadata_or_a_problem_never_an_exception()
    {
        byte[] original = s_evil.Value;
        int metadataStart, metadataSize;
        using (var pe = new System.Reflection.PortableExecutable.PEReader(ImmutableArray.Create(original)))
        {
            metadataStart = pe.PEHeaders.MetadataStartOffset;
            metadataSize = pe.PEHeaders.MetadataSize;
        }

        // Half the edits land in the metadata tables and heaps the reader parses, the rest anywhere (headers, IL).
        Gen<int> index = Gen.OneOf(Gen.Choose(0, original.Length - 1), Gen.Choose(metadataStart, metadataStart + metadataSize - 1));
        Gen<(int Index, byte Value)> change = index.SelectMany(i => Gen.Choose(0, 255).Select(v => (i, (byte)v)));
        Gen<(int Index, byte Value)[]> changes = Gen.Choose(1, 16).SelectMany(n => Gen.ArrayOf(change, n));

        Prop.ForAll(changes.ToArbitrary(), edits =>
        {
            byte[] mangled = (byte[])original.Clone();
            foreach ((int index, byte value) in edits)
            {
                mangled[index] = value;
            }

            PluginAssemblyMetadata? metadata = PluginAssemblyMetadata.TryRead(ImmutableArray.Create(mangled), out string? problem);
            return (metadata is null) != (problem is null);
        }).QuickCheckThrowOnFailure();
    }
}
