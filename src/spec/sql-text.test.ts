import { describe, expect, test } from 'vitest';
import { bindParams, connectionSecrets, lineAt, redactConnection, scanSql, sqlDialectOf, SqlParamsError, statementStarts, transactionControl } from './sql-text.js';

const kinds = (text: string, dialect: Parameters<typeof scanSql>[1]) => scanSql(text, dialect).map((m) => text.slice(m.start, m.end));

describe('placeholders and statement ends, outside literals and comments', () => {
  test('strings, quoted identifiers and comments hide what looks like a placeholder', () => {
    const text = `SELECT ':no', "col:no", $$ :no; $$, $tag$ ? ; $tag$ -- :no ;\n/* :no ; /* nested */ :no */ FROM t WHERE a = :yes AND b = $1 AND c::int = 2;`;
    expect(kinds(text, 'postgres')).toEqual([':yes', '$1', ';']);
  });

  test("MySQL: backslash escapes in strings, # comments, backticks; -- needs a space", () => {
    const text = "SELECT 'it\\'s :no', `a:no`, \"x\\\";\" # :no ;\n FROM t WHERE a = ? AND b = 5--1 AND c = :yes;";
    expect(kinds(text, 'mysql')).toEqual(['?', ':yes', ';']);
  });

  test("PostgreSQL: backslashes escape only in E'' strings; ? is an operator there", () => {
    expect(kinds("SELECT 'a\\', :x, E'b\\';', data ? 'k' ;", 'postgres')).toEqual([':x', ';']);
  });

  test('SQLite: [bracketed] identifiers and ?NNN', () => {
    const marks = scanSql('SELECT [a:b;c], ?2, ? FROM t;', 'sqlite');
    expect(marks.map((m) => [m.kind, m.number])).toEqual([['question', 2], ['question', undefined], ['semicolon', undefined]]);
  });

  test('statement starts skip space and comments; a trailing comment starts none', () => {
    const text = '-- header\nCREATE TABLE a (x int);\n\n  /* b */ INSERT INTO a VALUES (1);\n-- the end\n';
    expect(statementStarts(text, 'sqlite').map((at) => lineAt(text, at))).toEqual([2, 4]);
  });

  test('transaction control is found at a statement start only', () => {
    expect(transactionControl("INSERT INTO t VALUES ('commit;');\nCOMMIT;", 'postgres')).toEqual({ offset: 34, keyword: 'COMMIT' });
    expect(transactionControl('start  transaction; select 1;', 'mysql')?.keyword).toBe('START TRANSACTION');
    expect(transactionControl('CREATE TRIGGER t AFTER INSERT ON a BEGIN UPDATE b SET n = n + 1; END;', 'sqlite')).toBeUndefined();
    expect(transactionControl('CREATE PROCEDURE p() BEGIN SELECT 1; END', 'mysql')).toBeUndefined();
  });
});

describe('bindParams', () => {
  test('named params become the database\'s positional ones, each value bound once per use', () => {
    const sql = 'SELECT * FROM t WHERE a = :a AND b = :b OR a = :a';
    expect(bindParams(sql, 'postgres', { a: 1, b: 'x' })).toEqual({ text: 'SELECT * FROM t WHERE a = $1 AND b = $2 OR a = $1', values: [1, 'x'] });
    expect(bindParams(sql, 'mysql', { a: 1, b: 'x' })).toEqual({ text: 'SELECT * FROM t WHERE a = ? AND b = ? OR a = ?', values: [1, 'x', 1] });
    expect(bindParams(sql, 'sqlite', { b: 'x', a: 1 })).toEqual({ text: 'SELECT * FROM t WHERE a = ? AND b = ? OR a = ?', values: [1, 'x', 1] });
  });

  test('a value is never written into the text', () => {
    const evil = "'; DROP TABLE users; --";
    const bound = bindParams('SELECT :name AS n', 'mysql', { name: evil });
    expect(bound.text).toBe('SELECT ? AS n');
    expect(bound.values).toEqual([evil]);
  });

  test('a list is bound as given, and must fit the placeholders', () => {
    expect(bindParams('SELECT $1, $2, $1', 'postgres', [1, 2])).toEqual({ text: 'SELECT $1, $2, $1', values: [1, 2] });
    expect(() => bindParams('SELECT ?, ?', 'mysql', [1])).toThrow(new SqlParamsError('the SQL has 2 placeholders (?) and params gives 1 value'));
    expect(() => bindParams('SELECT 1', 'sqlite', undefined)).not.toThrow();
  });

  test('mismatches say which name', () => {
    expect(() => bindParams('SELECT :a, :b', 'postgres', { a: 1 })).toThrow('params has no value for :b');
    expect(() => bindParams('SELECT :a', 'postgres', { a: 1, c: 2 })).toThrow("params 'c' is not used by the SQL (it uses :a)");
    expect(() => bindParams('SELECT :a', 'postgres', [1])).toThrow('give params as a mapping');
    expect(() => bindParams('SELECT $1', 'postgres', { a: 1 })).toThrow('the SQL uses $1, a positional placeholder, and params is a mapping');
  });
});

describe('connections', () => {
  test('the database each form names', () => {
    expect(['postgres://h/db', 'postgresql://h/db', 'mysql://h/db', 'MariaDB://h/db', 'sqlite:data/app.db', 'sqlite:///tmp/a', 'data/app.sqlite3', '/abs/x.db', 'C:\\data\\x.db', 'redis://h', 'app.txt'].map(sqlDialectOf)).toEqual([
      'postgres', 'postgres', 'mysql', 'mysql', 'sqlite', 'sqlite', 'sqlite', 'sqlite', 'sqlite', undefined, undefined,
    ]);
  });

  test('passwords are hidden, in the URL and as a parameter, raw and decoded', () => {
    expect(redactConnection('postgres://app:s%40cret@db:5432/prod?sslmode=require')).toBe('postgres://app:***@db:5432/prod?sslmode=require');
    expect(redactConnection('mysql://db/prod?user=app&password=hunter2&x=1')).toBe('mysql://db/prod?user=app&password=***&x=1');
    expect(redactConnection('postgres://app@db/prod')).toBe('postgres://app@db/prod');
    expect(connectionSecrets('postgres://app:s%40cret@db/prod')).toEqual(['s%40cret', 's@cret']);
  });
});
