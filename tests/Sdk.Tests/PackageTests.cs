using System.IO.Compression;
using System.Xml.Linq;

namespace RouterHost.Sdk.Tests;

/// <summary>What scripts/pack writes: the SDK packages with their metadata, docs and deploy targets, and the templates.</summary>
[Collection(PackedSdkCollection.Name)]
public sealed class PackageTests(PackedSdkFixture sdk)
{
    [Theory]
    [InlineData("RouterHost.Abstractions")]
    [InlineData("RouterHost.Settings")]
    [InlineData("RouterHost.Packets")]
    public void Each_SDK_package_has_the_contract_version_XML_docs_license_and_repository(string id)
    {
        using ZipArchive package = ZipFile.OpenRead(sdk.Package(id));
        XElement metadata = Metadata(package, id);
        XNamespace ns = metadata.Name.Namespace;
        Assert.Equal(sdk.Version, (string?)metadata.Element(ns + "version"));
        Assert.Equal("MIT", (string?)metadata.Element(ns + "license"));
        Assert.Equal("expression", (string?)metadata.Element(ns + "license")?.Attribute("type"));
        XElement? repository = metadata.Element(ns + "repository");
        Assert.NotNull(repository);
        Assert.StartsWith("https://", (string?)repository.Attribute("url"), StringComparison.Ordinal);
        Assert.False(string.IsNullOrWhiteSpace((string?)metadata.Element(ns + "projectUrl")));
        Assert.False(string.IsNullOrWhiteSpace((string?)metadata.Element(ns + "description")));
        Assert.NotNull(package.GetEntry($"lib/net10.0/{id}.dll"));
        Assert.NotNull(package.GetEntry($"lib/net10.0/{id}.xml"));
        if (id != "RouterHost.Abstractions")
        {
            // Referencing Settings or Packets brings the SDK, at the same version.
            Assert.Contains(metadata.Descendants(ns + "dependency"), d => (string?)d.Attribute("id") == "RouterHost.Abstractions"
                && (string?)d.Attribute("version") == sdk.Version);
        }
    }

    [Fact]
    public void The_SDK_package_carries_the_deploy_targets_and_the_authors_README()
    {
        using ZipArchive package = ZipFile.OpenRead(sdk.Package("RouterHost.Abstractions"));
        XElement metadata = Metadata(package, "RouterHost.Abstractions");
        Assert.Equal("README.md", (string?)metadata.Element(metadata.Name.Namespace + "readme"));
        Assert.Contains("dotnet new routerhost-stage", Text(package, "README.md"), StringComparison.Ordinal);
        Assert.Contains("EnableDynamicLoading", Text(package, "buildTransitive/RouterHost.Abstractions.props"), StringComparison.Ordinal);
        string targets = Text(package, "buildTransitive/RouterHost.Abstractions.targets");
        Assert.Contains("AfterTargets=\"Build\"", targets, StringComparison.Ordinal);
        Assert.Contains("AfterTargets=\"Publish\"", targets, StringComparison.Ordinal);
    }

    [Fact]
    public void The_template_package_holds_both_templates_referencing_the_packed_version()
    {
        using ZipArchive package = ZipFile.OpenRead(sdk.Package("RouterHost.Templates"));
        XElement metadata = Metadata(package, "RouterHost.Templates");
        XNamespace ns = metadata.Name.Namespace;
        Assert.Equal("Template", (string?)metadata.Element(ns + "packageTypes")?.Element(ns + "packageType")?.Attribute("name"));
        foreach (string template in (string[])["routerhost-stage", "routerhost-backend"])
        {
            Assert.Contains($"\"shortName\": \"{template}\"", Text(package, $"content/{template}/.template.config/template.json"), StringComparison.Ordinal);
        }

        string stage = Text(package, "content/routerhost-stage/RouterHostStage1.csproj");
        Assert.Contains($"Include=\"RouterHost.Abstractions\" Version=\"{sdk.Version}\"", stage, StringComparison.Ordinal);
        Assert.DoesNotContain("ROUTERHOST_SDK_VERSION", stage, StringComparison.Ordinal);
    }

    private static XElement Metadata(ZipArchive package, string id)
    {
        XDocument nuspec = XDocument.Parse(Text(package, id + ".nuspec"));
        return nuspec.Root!.Elements().Single(e => e.Name.LocalName == "metadata");
    }

    private static string Text(ZipArchive package, string entry)
    {
        ZipArchiveEntry found = package.GetEntry(entry) ?? throw new InvalidOperationException($"the package has no {entry}");
        using var reader = new StreamReader(found.Open());
        return reader.ReadToEnd();
    }
}
