// Unused exports (part of `npm run lint`): every name a module under src/ or test/lib/ exports must
// be imported by some other file of the project (src/, test/, conformance/), or it is either dead
// or should not be exported. No maintained ESLint rule checks this across files, so this script
// asks the TypeScript compiler, with the project's tsconfig.json:
//   - `import { a, b as c } from './m'` and `export { a } from './m'` use a and b of m;
//   - `import * as m` uses the names read as m.x (or m.X in a type); any other use of m (passed
//     along as a value) uses all of m;
//   - `require('./m')` or `await import('./m')` (the tests load some modules after regenerating the validators) uses the
//     names destructured from it, or all of m when the result is kept whole;
//   - `export * from './m'` uses all of m.
// Entry points need no importer: src/cli/commands/<verb>.ts's <verb>Command and
// src/cli/run-verb.ts's runVerb (scripts/build.mjs generates the bundle entry that calls them), and
// src/launcher/parent/early-stage.ts's spawnEarly and spawnEarlyExec (dist/early.js, which the dispatcher
// loads by path).
// Prints `file: name` for each unused export; exit 1 if any.
import path from 'node:path';
import ts from 'typescript';

const root = path.resolve(import.meta.dirname, '..');
const configPath = path.join(root, 'tsconfig.json');
const config = ts.getParsedCommandLineOfConfigFile(configPath, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n')); } });
const program = ts.createProgram({ rootNames: config.fileNames, options: config.options });
const checker = program.getTypeChecker();

const rel = (file) => path.relative(root, file);
// Generated code (src/shim/gen/, from the vendored .proto files) exports every message it knows.
const checked = (file) => /^(src|test\/lib)\//.test(rel(file)) && !rel(file).startsWith('src/shim/gen/') && !file.endsWith('.d.ts');
const isEntry = (file, name) =>
  (/^src\/cli\/commands\/[^/]+\.ts$/.test(rel(file)) && name.endsWith('Command')) || (rel(file) === 'src/cli/run-verb.ts' && name === 'runVerb')
  || (rel(file) === 'src/launcher/parent/early-stage.ts' && (name === 'spawnEarly' || name === 'spawnEarlyExec'));

/** file -> names used by other files; `*` = every export. */
const used = new Map();
function use(file, name) {
  if (!file) return;
  if (!used.has(file)) used.set(file, new Set());
  used.get(file).add(name);
}

/** The source file a module specifier (a string literal node) resolves to. */
function moduleFile(specifier) {
  if (!ts.isStringLiteral(specifier)) return undefined;
  const r = ts.resolveModuleName(specifier.text, specifier.getSourceFile().fileName, config.options, ts.sys);
  return r.resolvedModule?.resolvedFileName;
}

/** Marks what the file uses of the module bound to the namespace identifier `ns`. */
function useNamespace(sf, ns, target) {
  const nsSymbol = checker.getSymbolAtLocation(ns);
  const visit = (node) => {
    if (ts.isIdentifier(node) && node !== ns && checker.getSymbolAtLocation(node) === nsSymbol) {
      const p = node.parent;
      if (ts.isPropertyAccessExpression(p) && p.expression === node) use(target, p.name.text);
      else if (ts.isQualifiedName(p) && p.left === node) use(target, p.right.text);
      // `typeof ns` types what a require() returns; the require() itself says what is used.
      else if (!ts.isTypeQueryNode(p)) use(target, '*');
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
}

function scan(sf) {
  const visit = (node) => {
    if (ts.isImportDeclaration(node)) {
      const target = moduleFile(node.moduleSpecifier);
      const b = node.importClause?.namedBindings;
      if (node.importClause?.name) use(target, 'default');
      if (b && ts.isNamedImports(b)) for (const e of b.elements) use(target, (e.propertyName ?? e.name).text);
      if (b && ts.isNamespaceImport(b)) useNamespace(sf, b.name, target);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier) {
      const target = moduleFile(node.moduleSpecifier);
      if (!node.exportClause) use(target, '*');
      else if (ts.isNamedExports(node.exportClause)) for (const e of node.exportClause.elements) use(target, (e.propertyName ?? e.name).text);
      else use(target, '*');
    } else if (ts.isCallExpression(node) && node.arguments.length === 1 && ts.isStringLiteral(node.arguments[0])
      && ((ts.isIdentifier(node.expression) && node.expression.text === 'require') || node.expression.kind === ts.SyntaxKind.ImportKeyword)) {
      const target = moduleFile(node.arguments[0]);
      let p = node.parent;
      while (p && (ts.isAsExpression(p) || ts.isParenthesizedExpression(p) || ts.isAwaitExpression(p))) p = p.parent;
      if (p && ts.isVariableDeclaration(p) && ts.isObjectBindingPattern(p.name)) {
        for (const e of p.name.elements) use(target, (e.propertyName ?? e.name).getText(sf));
      } else {
        use(target, '*');
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
}

const files = program.getSourceFiles().filter((sf) => !sf.isDeclarationFile && !rel(sf.fileName).startsWith('..') && !rel(sf.fileName).startsWith('node_modules'));
for (const sf of files) scan(sf);

/**
 * Types and interfaces are left alone: one named in an exported function's signature is part of
 * that function's interface even when no caller spells its name, and esbuild erases them anyway.
 */
function isTypeOnly(exp) {
  const sym = exp.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exp) : exp;
  return (sym.flags & ts.SymbolFlags.Value) === 0;
}

const unused = [];
for (const sf of files) {
  if (!checked(sf.fileName)) continue;
  const mod = checker.getSymbolAtLocation(sf);
  if (!mod) continue;
  const names = used.get(sf.fileName) ?? new Set();
  if (names.has('*')) continue;
  for (const exp of checker.getExportsOfModule(mod)) {
    if (names.has(exp.name) || isEntry(sf.fileName, exp.name) || isTypeOnly(exp)) continue;
    unused.push(`${rel(sf.fileName)}: ${exp.name}`);
  }
}
for (const line of unused.sort()) console.log(line);
if (unused.length) {
  console.error(`${unused.length} export(s) nothing else imports: remove them, or drop the export keyword`);
  process.exit(1);
}
