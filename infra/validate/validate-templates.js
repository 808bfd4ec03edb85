#!/usr/bin/env node
// Offline CloudFormation validation of one or more templates (JSON or YAML) with @aws/cloudformation-validate
// (bundled cfn-lint rules + resource provider schemas, no network).
//
//   node validate/validate-templates.js [--json] TEMPLATE...
//
// Prints every WARN/ERROR/FATAL diagnostic; with --json prints one JSON document instead. Exit status: 0 when no
// template has an ERROR or FATAL diagnostic (or a failed pipeline), 1 otherwise, 2 on bad usage.
// Note: AWS::Serverless::* resources (SAM) are not expanded or schema-checked by this validator; plain
// CloudFormation resources in a SAM template are. SAM's generated-resource references (Ref: MyFunction.Alias /
// MyFunction.Version, resolved by the SAM transform) are reported by the validator as unknown refs (F1020); those
// and only those are dropped for templates with the Serverless transform, and counted in samRefsAccepted.
'use strict';

const path = require('path');

let validator;
try {
    validator = require('@aws/cloudformation-validate');
} catch (e) {
    console.error('@aws/cloudformation-validate is not installed: run `npm ci` in infra/ (' + e.message + ')');
    process.exit(2);
}
const { RegoEngine, TemplateFile, TemplateModel, version } = validator;

const args = process.argv.slice(2);
const json = args.includes('--json');
const files = args.filter((a) => a !== '--json');
if (files.length === 0) {
    console.error('usage: validate-templates.js [--json] TEMPLATE...');
    process.exit(2);
}

// Ref: <AWS::Serverless::Function>.Alias|.Version is valid SAM (the transform resolves it); nothing else is excused.
function samGeneratedRef(model, diagnostic) {
    if (diagnostic.ruleId !== 'F1020' || !model) {
        return false;
    }
    const m = /^'([A-Za-z0-9]+)\.(Alias|Version)' is not one of/.exec(diagnostic.message || '');
    if (!m) {
        return false;
    }
    const resource = model.resources()[m[1]];
    return !!resource && (resource.resourceType || resource.type) === 'AWS::Serverless::Function';
}

function samModel(file) {
    try {
        const model = new TemplateModel(new TemplateFile(file));
        const sam = model.transforms().some((t) => String(t).startsWith('AWS::Serverless'));
        if (!sam) {
            model.free();
            return null;
        }
        return model;
    } catch (e) {
        return null; // unparseable: the engine reports it
    }
}

const engine = new RegoEngine();
const results = [];
try {
    for (const file of files) {
        const absolute = path.resolve(file);
        const report = engine.validateStandard(new TemplateFile(absolute), { severityLevel: 'WARN' });
        const model = samModel(absolute);
        let samRefsAccepted = 0;
        const kept = report.diagnostics.filter((d) => {
            if (samGeneratedRef(model, d)) {
                samRefsAccepted++;
                return false;
            }
            return true;
        });
        if (model) {
            model.free();
        }
        const diagnostics = kept.map((d) => ({
            severity: d.severity,
            ruleId: d.ruleId,
            source: d.source,
            logicalId: d.entity ? d.entity.logicalId : null,
            propertyPath: d.propertyPath || null,
            line: d.startLine || null,
            message: d.message,
        }));
        const errors = diagnostics.filter((d) => d.severity === 'ERROR' || d.severity === 'FATAL').length;
        const warnings = diagnostics.filter((d) => d.severity === 'WARN').length;
        results.push({
            file,
            status: report.status,
            resourcesScanned: report.metadata ? report.metadata.resourcesScanned : null,
            errors: errors + (report.status === 'ERROR' ? 1 : 0),
            warnings,
            samRefsAccepted,
            diagnostics,
        });
    }
} finally {
    engine.free();
}

const failed = results.some((r) => r.errors > 0);
if (json) {
    process.stdout.write(JSON.stringify({ validator: version(), failed, results }, null, 2) + '\n');
} else {
    for (const r of results) {
        console.log(`${r.file}: status=${r.status} resources=${r.resourcesScanned} errors=${r.errors} warnings=${r.warnings}` +
            (r.samRefsAccepted ? ` samRefsAccepted=${r.samRefsAccepted}` : ''));
        for (const d of r.diagnostics) {
            console.log(`  [${d.severity}] ${d.ruleId} ${d.logicalId || ''} ${d.propertyPath || ''}: ${d.message}`);
        }
    }
    console.log(failed ? 'FAILED' : 'OK');
}
process.exit(failed ? 1 : 0);
