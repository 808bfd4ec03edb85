/**
 * Measuring explanations: ERASER faithfulness (comprehensiveness, sufficiency) and Integrated
 * Gradients' completeness, behind {@code scripts/evaluate --explain}.
 */
package io.maaskit.tools.explain;
