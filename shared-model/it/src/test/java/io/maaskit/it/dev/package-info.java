/**
 * Developer harnesses, not tests: surefire's default patterns do not pick up {@code *Dev} classes.
 * Run one explicitly, e.g. {@code mvn verify -pl shared-model/it -am -Dtest=OrtBenchDev
 * -Dsurefire.failIfNoSpecifiedTests=false}.
 */
package io.maaskit.it.dev;
